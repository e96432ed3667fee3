/**
 * The one loop that reads `chat:bus` on its own connection (a blocking read never delays commands) and
 * applies its entries to the sink in bus order, which is every room's seq order on every node.
 *
 * Every bus entry carries its number `q` (1, 2, 3…, see BUS_ADD in redis-scripts.ts). An entry whose
 * number is not the next one means the bus was trimmed past what this node had read (it stalled longer
 * than the bus's MAXLEN covers): the reader emits `resync` and continues from the bus's tail instead of
 * delivering with a hole. (Stream metadata cannot tell this reliably: a blocked XREAD is answered after
 * the script that trimmed, and trimming does not move `max-deleted-entry-id` in Redis 7.0.)
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { EngineEvent, EngineSink, MemberRef, PolicyNotice } from './engine.js';
import type { ServerMessage } from '../../shared/protocol.js';
import type { RoomPolicy } from '../moderation/policy.js';
import { decodeMember, decodePayload, fieldsOf, idMs, type StreamEntry } from './redis-codec.js';
import { BUS, BUS_SEQ } from './redis-scripts.js';

const READ_COUNT = 1000;
export const READ_BLOCK_MS = 5000;

export class BusReader {
  private lastId = '0-0';
  /** The number of the entry at lastId. */
  private lastQ = 0;
  private running = false;
  lagMs = 0;
  entriesBehind = 0;
  /** When the last read came back (a healthy reader comes back at least every READ_BLOCK_MS). */
  lastReadAt = Date.now();
  resyncs = 0;

  constructor(private readonly conn: Redis, private readonly sink: EngineSink, private readonly log: Logger) {}

  /** Starts at the bus's current tail: what was there before is history, read from the room logs. */
  async start(): Promise<void> {
    await this.moveToTail();
    this.running = true;
    void this.loop();
  }

  /**
   * Stops applying events. The caller drops the connection; the pending read is not awaited (ioredis
   * leaves a command queued while reconnecting unsettled when disconnected then).
   */
  stop(): void {
    this.running = false;
  }

  private async moveToTail(): Promise<void> {
    // Atomically: with an empty bus, the number the next entry follows is chat:bus:seq.
    const res = await this.conn.multi().xrevrange(BUS, '+', '-', 'COUNT', 1).get(BUS_SEQ).exec();
    const [last] = (res?.[0]?.[1] ?? []) as StreamEntry[];
    this.lastId = last?.[0] ?? '0-0';
    this.lastQ = last ? entryNumber(last[1]) : Number(res?.[1]?.[1] ?? 0);
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let busSeq: number;
      let entries: StreamEntry[];
      try {
        const res = await this.conn
          .pipeline()
          .get(BUS_SEQ)
          .xread('COUNT', READ_COUNT, 'BLOCK', READ_BLOCK_MS, 'STREAMS', BUS, this.lastId)
          .exec();
        const [seqRes, readRes] = res ?? [];
        if (readRes?.[0]) throw readRes[0];
        busSeq = Number(seqRes?.[1] ?? 0);
        const reply = (readRes?.[1] ?? null) as Array<[string, StreamEntry[]]> | null;
        entries = reply?.[0]?.[1] ?? [];
        failures = 0;
      } catch (err) {
        if (!this.running) break;
        // ioredis waits for a reconnect by itself; this covers command errors.
        this.log.warn({ err: (err as Error).message }, 'bus read failed');
        await new Promise((r) => setTimeout(r, Math.min(100 * ++failures, 1000)));
        continue;
      }
      if (!this.running) break;
      this.lastReadAt = Date.now();
      // Behind as the read began (the GET ran just before the XREAD).
      this.entriesBehind = Math.max(0, busSeq - this.lastQ);
      this.lagMs = this.entriesBehind > 0 ? Math.max(0, Date.now() - idMs(this.lastId)) : 0;
      if (entries.length > 0 && !this.apply(entries)) {
        try {
          await this.resync();
        } catch (err) {
          this.log.warn({ err: (err as Error).message }, 'bus resync failed; retrying');
        }
      }
    }
  }

  /** Applies entries in order; false at a gap (the entries from there on are not applied). */
  private apply(entries: StreamEntry[]): boolean {
    let complete = true;
    for (const [id, flat] of entries) {
      const q = entryNumber(flat);
      if (q !== this.lastQ + 1) {
        complete = false;
        break;
      }
      this.lastId = id;
      this.lastQ = q;
      // Fields start with k <kind> r <room key>: skip rooms not served here before parsing anything.
      // Server-wide events (nick, kill) have room ''.
      const room = flat[3] ?? '';
      if (room !== '' && !this.sink.serves(room)) continue;
      let event: EngineEvent | null;
      try {
        event = decodeEvent(flat);
      } catch (err) {
        this.log.error({ err: (err as Error).message, id }, 'unreadable bus entry skipped');
        continue;
      }
      if (event) this.emit(event);
    }
    this.sink.flushed();
    return complete;
  }

  private async resync(): Promise<void> {
    const from = this.lastId;
    await this.moveToTail();
    this.log.warn({ from, to: this.lastId }, 'bus trimmed past what this node had read: resync');
    this.resyncs++;
    this.emit({ kind: 'resync' });
    this.sink.flushed();
  }

  private emit(event: EngineEvent): void {
    try {
      this.sink.apply(event);
    } catch (err) {
      // One bad event must not stop the node's delivery of every other.
      this.log.error({ err: (err as Error).message, kind: event.kind }, 'applying an engine event failed');
    }
  }
}

/** The entry's number: fields are k <kind> r <room> q <n> …. */
function entryNumber(flat: string[]): number {
  return flat[4] === 'q' ? Number(flat[5]) : 0;
}

export function decodeEvent(flat: string[]): EngineEvent | null {
  const f = fieldsOf(flat);
  const roomKey = f.r ?? '';
  switch (f.k) {
    case 'msg':
      return { kind: 'msg', roomKey, message: decodePayload(f.m!, Number(f.s), Number(f.t)) };
    case 'join':
      return { kind: 'join', roomKey, room: f.rn!, member: withState(decodeMember(f.n!), f.a, f.ac), seq: Number(f.s), ts: Number(f.t) };
    case 'part': {
      const event: EngineEvent = { kind: 'part', roomKey, room: f.rn!, member: decodeMember(f.n!) };
      if (f.why) event.reason = f.why;
      if (f.q === '1') event.quit = true;
      if (f.by) event.by = f.by;
      return event;
    }
    case 'topic':
      return { kind: 'topic', roomKey, room: f.rn!, topic: f.tp ?? '', by: f.by ?? '', ts: Number(f.t) };
    case 'nick':
      return { kind: 'nick', member: decodeMember(f.n!), old: f.o!, rooms: JSON.parse(f.rs ?? '[]') as string[] };
    case 'away':
      return { kind: 'away', member: withState(decodeMember(f.n!), f.a), rooms: JSON.parse(f.rs ?? '[]') as string[] };
    case 'login': {
      const event: EngineEvent = { kind: 'login', member: withState(decodeMember(f.n!), undefined, f.ac), rooms: JSON.parse(f.rs ?? '[]') as string[] };
      if (f.wa) event.was = f.wa;
      return event;
    }
    case 'bans':
      return { kind: 'bans' };
    case 'account':
      return { kind: 'account', nick: f.n! };
    case 'notify':
      return { kind: 'notify', nick: f.n!, message: JSON.parse(f.m!) as ServerMessage };
    case 'policy': {
      const event: EngineEvent = { kind: 'policy', roomKey, room: f.rn!, policy: JSON.parse(f.p!) as RoomPolicy };
      if (f.a) event.notice = JSON.parse(f.a) as PolicyNotice;
      return event;
    }
    case 'kill': {
      const event: EngineEvent = { kind: 'kill', nick: f.n!, reason: f.why ?? '' };
      if (f.x) event.except = f.x;
      return event;
    }
    default:
      return null;
  }
}

/** The member with its away text and account, as the entry carries them ('' or absent: none). */
function withState(member: MemberRef, away: string | undefined, account?: string): MemberRef {
  if (away) member.away = away;
  if (account) member.account = account;
  return member;
}
