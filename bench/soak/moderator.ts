/**
 * The soak's moderator: an account that owns every soak room (it joins them first) and, every couple of
 * seconds, kicks a random member of a random room, or bans one by nick for 30 s, which also keeps out
 * that client's address. Churn clients meet kicks (their says get NOT_IN_ROOM) and bans (BANNED).
 */
import { Wire, parse, sleep, stopController, typeOf } from '../attacks/wire.js';

export interface ModeratorStats { kicks: number; bans: number; refused: Record<string, number> }

const EVERY_MS = 2_000;
const BAN_SECONDS = 30;
export const SOAK_PASSWORD = 'soak-password';

export class Moderator {
  readonly stats: ModeratorStats = { kicks: 0, bans: 0, refused: {} };
  private readonly stopping = stopController();
  private wire: Wire | null = null;
  private loop: Promise<void> = Promise.resolve();
  private whoAnswer: ((users: string[]) => void) | null = null;

  constructor(private readonly tcpPort: number, private readonly rooms: string[], private readonly localAddress: string) {}

  /** Registers (or logs in) and takes every room before the churn begins. */
  async start(): Promise<void> {
    const wire = await Wire.open({ kind: 'tcp', port: this.tcpPort, localAddress: this.localAddress });
    this.wire = wire;
    let ready: () => void = () => {};
    const welcomed = new Promise<void>((resolve) => { ready = resolve; });
    wire.onReceive((text) => {
      const type = typeOf(text);
      if (type === 'welcome') ready();
      else if (type === 'who') this.whoAnswer?.(parse<{ users: string[] }>(text).users);
      else if (type === 'error') {
        const code = parse<{ code: string }>(text).code;
        this.stats.refused[code] = (this.stats.refused[code] ?? 0) + 1;
      }
    });
    wire.send({ type: 'hello', nick: 'soakop' });
    await welcomed;
    wire.send({ type: 'register', password: SOAK_PASSWORD });
    for (const room of this.rooms) wire.send({ type: 'join', room });
    await sleep(1000);
    this.loop = this.run();
  }

  async stop(): Promise<ModeratorStats> {
    this.stopping.abort();
    await this.loop;
    this.wire?.send({ type: 'quit' });
    this.wire?.drop();
    return this.stats;
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted && this.wire && !this.wire.isClosed) {
      await sleep(EVERY_MS, this.stopping.signal);
      if (this.stopping.signal.aborted) break;
      const room = this.rooms[Math.floor(Math.random() * this.rooms.length)]!;
      const users = await new Promise<string[]>((resolve) => {
        this.whoAnswer = resolve;
        this.wire!.send({ type: 'who', room });
        setTimeout(() => resolve([]), 5000).unref();
      });
      this.whoAnswer = null;
      const targets = users.filter((u) => u !== 'soakop');
      if (targets.length === 0) continue;
      const nick = targets[Math.floor(Math.random() * targets.length)]!;
      if (Math.random() < 0.7) {
        this.stats.kicks++;
        this.wire.send({ type: 'kick', room, nick, reason: 'soak' });
      } else {
        this.stats.bans++;
        this.wire.send({ type: 'ban', room, mask: nick, duration: BAN_SECONDS, reason: 'soak' });
      }
    }
  }
}
