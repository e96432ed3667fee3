/**
 * Tells the server how far this terminal has read each room, for the account's other terminals
 * (docs/client.md): only what moves past what the server is known to have, and per room at most once an
 * interval (the first at once, then the newest position at the end of the interval).
 */
import { caseFold } from '../../shared/index.js';

/** The most often one room's position is sent. */
export const READ_SYNC_INTERVAL_MS = 1000;

export class ReadSync {
  /** By folded room: the server's marker, as far as this client knows (what it said, or was sent). */
  private readonly known = new Map<string, number>();
  /** Positions waiting for their room's interval to pass. */
  private readonly wanted = new Map<string, { room: string; seq: number }>();
  private readonly lastSent = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    /** Sends read{room, seq}; false when it could not (offline): nothing is kept for later. */
    private readonly send: (room: string, seq: number) => boolean,
    private readonly intervalMs = READ_SYNC_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** This terminal has seen `room` up to `seq`. */
  seen(room: string, seq: number): void {
    const key = caseFold(room);
    if (seq <= (this.known.get(key) ?? 0) || seq <= (this.wanted.get(key)?.seq ?? 0)) return;
    this.wanted.set(key, { room, seq });
    if (this.timers.has(key)) return;
    const wait = (this.lastSent.get(key) ?? -Infinity) + this.intervalMs - this.now();
    if (wait <= 0) return this.sendNow(key);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.sendNow(key);
    }, wait);
    timer.unref?.();
    this.timers.set(key, timer);
  }

  /** The server says the marker of `room` is `seq` (another terminal moved it, or it answers ours). */
  heard(room: string, seq: number): void {
    const key = caseFold(room);
    if (seq > (this.known.get(key) ?? 0)) this.known.set(key, seq);
    if ((this.wanted.get(key)?.seq ?? Infinity) <= seq) this.wanted.delete(key);
  }

  /** A new connection: what was sent on the last one may not have arrived. */
  reset(): void {
    this.known.clear();
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.wanted.clear();
  }

  private sendNow(key: string): void {
    const want = this.wanted.get(key);
    this.wanted.delete(key);
    if (!want || want.seq <= (this.known.get(key) ?? 0) || !this.send(want.room, want.seq)) return;
    this.known.set(key, want.seq);
    this.lastSent.set(key, this.now());
  }
}
