/**
 * What every attack generator looks like. An attack is prepared (untimed set-up: fill a room, create
 * rooms), started, kept up until stopped (an attacker the server drops comes back, at a bounded rate),
 * and stopped, which closes everything it opened and says what happened to it.
 */
import type { AckLedger } from './ledger.js';
import { Wire, typeOf, parse, type WireKind } from './wire.js';

export interface AttackContext {
  wsPort: number;
  tcpPort: number;
  /** Source-address group of this attack (127.group.x.y); set-up helpers use group + 1. */
  group: number;
  /** Records the acks of messages the attack said, so the soak can check they are all in history. */
  ledger?: AckLedger;
  log(msg: string): void;
}

export interface AttackOutcome {
  /** Connections opened, including reconnections. */
  connections: number;
  /** Connections that could not be opened (refused or timed out). */
  failedConnects: number;
  /** Requests, chunks or frames sent. */
  requests: number;
  /** Replies that answered a request (pages, acks, DM copies, pongs). */
  answered: number;
  /** Errors received, by code. */
  refused: Record<string, number>;
  /** Connections the server ended, by `bye` reason ("closed" when it closed without one). */
  dropped: Record<string, number>;
  bytesOut: number;
  bytesIn: number;
  /** The attack's target, if it has one (the DM victim): how it ended, or null while connected. */
  victimDropped?: string | null;
  victimReceived?: number;
  /** Sockets held open at once, at most (silent sockets). */
  heldPeak?: number;
  /**
   * Sends skipped because the server had stopped reading: our own unsent output was over
   * UNSENT_BOUND (TCP flow control holding the attacker back, which an attacker at a fixed rate meets).
   */
  heldBack?: number;
}

/** An attacker at a fixed rate sends nothing more while this much of its own output is still unsent. */
export const UNSENT_BOUND = 256 * 1024;

export interface Attack {
  readonly name: string;
  /** One line: what it does, at what rate. */
  readonly describe: string;
  prepare(): Promise<void>;
  start(): void;
  stop(): Promise<AttackOutcome>;
}

export function emptyOutcome(): AttackOutcome {
  return { connections: 0, failedConnects: 0, requests: 0, answered: 0, refused: {}, dropped: {}, bytesOut: 0, bytesIn: 0 };
}

export function bump(counts: Record<string, number>, key: string, n = 1): void {
  counts[key] = (counts[key] ?? 0) + n;
}

/** Total of a count table. */
export function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, n) => a + n, 0);
}

/**
 * An attacker's connection: counts what it opens, what the server refuses and how it ends, into the
 * attack's outcome.
 */
export class Attacker {
  wire: Wire | null = null;
  bye: string | null = null;

  constructor(private readonly out: AttackOutcome) {}

  /**
   * Opens and (for a JSON or text nick) registers; resolves false when the server refused. `onText`
   * sees every received text after registration.
   */
  async open(kind: WireKind, port: number, localAddress: string, nick: string | null, onText?: (text: Buffer, type: string | null) => void): Promise<boolean> {
    this.bye = null;
    let wire: Wire;
    try {
      wire = await Wire.open({ kind, port, localAddress });
    } catch {
      this.out.failedConnects++;
      return false;
    }
    this.out.connections++;
    this.wire = wire;
    let welcomed = nick === null;
    let resolveWelcome!: (ok: boolean) => void;
    const welcome = new Promise<boolean>((r) => { resolveWelcome = r; });
    wire.onReceive((text) => {
      const type = typeOf(text);
      if (!welcomed && (type === 'welcome' || (kind === 'text' && text.includes('*** Welcome')))) {
        welcomed = true;
        resolveWelcome(true);
        return;
      }
      if (type === 'bye') {
        this.bye = parse<{ reason: string }>(text).reason;
      } else if (type === 'error') {
        bump(this.out.refused, parse<{ code: string }>(text).code);
        if (!welcomed) resolveWelcome(false);
      } else if (kind === 'text' && type === null) {
        const line = text.toString('utf8');
        const m = /^!!! ([A-Z_]+):/.exec(line);
        if (m) {
          bump(this.out.refused, m[1]!);
          if (!welcomed) resolveWelcome(false);
        } else if (line.includes('*** bye: ')) {
          // After the banner, the nick prompt has no line end: a bye then shares its line.
          this.bye = line.slice(line.indexOf('*** bye: ') + '*** bye: '.length).trim();
        }
      }
      onText?.(text, type);
    });
    void wire.closed.then(() => {
      this.out.bytesIn += wire.bytesIn;
      this.out.bytesOut += wire.bytesOut;
      if (!welcomed) resolveWelcome(false);
      if (!wire.endedByUs) bump(this.out.dropped, this.bye ?? 'closed');
    });
    if (nick === null) return true;
    wire.sendText(kind === 'text' ? nick : JSON.stringify({ type: 'hello', nick }));
    const timeout = setTimeout(() => resolveWelcome(false), 10_000);
    const ok = await welcome;
    clearTimeout(timeout);
    if (!ok) wire.drop();
    return ok;
  }

  get live(): boolean {
    return this.wire !== null && !this.wire.isClosed;
  }

  /** Sends one message, unless the server has stopped reading what came before (then counts it held back). */
  send(message: object): void {
    if (!this.wire || this.wire.isClosed) return;
    if (this.wire.socket.writableLength > UNSENT_BOUND) {
      this.out.heldBack = (this.out.heldBack ?? 0) + 1;
      return;
    }
    this.out.requests++;
    this.wire.send(message);
  }

  /** Several messages in one write (one packet, as the report's bursts). */
  sendBatch(messages: object[]): void {
    this.out.requests += messages.length;
    this.wire?.write(messages.map((m) => `${JSON.stringify(m)}\n`).join(''));
  }

  async close(): Promise<void> {
    if (!this.wire) return;
    this.wire.drop();
    await this.wire.closed;
  }
}

/** A loop that runs `step` every `ms` until stopped. */
export class Ticker {
  private timer: NodeJS.Timeout | null = null;

  start(ms: number, step: () => void): void {
    this.timer = setInterval(step, ms);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** Runs `fn` on `items` with at most `limit` at once. */
export async function inBatches<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  }));
  return out;
}
