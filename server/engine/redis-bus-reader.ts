/**
 * The one loop that reads `chat:bus` on its own connection (a blocking read never delays commands) and
 * applies its entries to the sink in bus order, which is every room's seq order on every node.
 *
 * Each read is pipelined after an `XINFO STREAM`: Redis runs the two back to back, so the reader knows
 * exactly whether an entry after its position was trimmed away (`max-deleted-entry-id`, Redis 7) before
 * it reads on. Then it emits `resync` and continues from the tail instead of delivering with a hole.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { EngineEvent, EngineSink } from './engine.js';
import { compareIds, decodeMember, decodePayload, fieldsOf, idMs, type StreamEntry } from './redis-codec.js';
import { BUS } from './redis-scripts.js';

const READ_COUNT = 1000;
export const READ_BLOCK_MS = 5000;

interface StreamInfo { lastGenerated: string; maxDeleted: string; entriesAdded: number }

export class BusReader {
  private lastId = '0-0';
  /** `entries-added` of the bus at lastId: how far behind the tail the reader is, in entries. */
  private addedAtLastId = 0;
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  lagMs = 0;
  entriesBehind = 0;
  /** When the last read came back (a healthy reader comes back at least every READ_BLOCK_MS). */
  lastReadAt = Date.now();
  resyncs = 0;

  constructor(private readonly conn: Redis, private readonly sink: EngineSink, private readonly log: Logger) {}

  /** Starts at the bus's current tail: what was there before is history, read from the room logs. */
  async start(): Promise<void> {
    const info = await readInfo(this.conn);
    this.lastId = info?.lastGenerated ?? '0-0';
    this.addedAtLastId = info?.entriesAdded ?? 0;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Stops reading (the caller drops the connection, which ends the pending read). */
  async stop(): Promise<void> {
    this.running = false;
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let info: StreamInfo | null;
      let reply: Array<[string, StreamEntry[]]> | null;
      try {
        const res = await this.conn
          .pipeline()
          .xinfo('STREAM', BUS)
          .xread('COUNT', READ_COUNT, 'BLOCK', READ_BLOCK_MS, 'STREAMS', BUS, this.lastId)
          .exec();
        const [infoRes, readRes] = res ?? [];
        if (readRes?.[0]) throw readRes[0];
        info = infoRes?.[0] ? null : parseInfo(infoRes?.[1]);
        reply = (readRes?.[1] ?? null) as Array<[string, StreamEntry[]]> | null;
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
      if (info) {
        this.lagMs = Math.max(0, idMs(info.lastGenerated) - idMs(this.lastId));
        this.entriesBehind = Math.max(0, info.entriesAdded - this.addedAtLastId);
        if (compareIds(info.maxDeleted, this.lastId) > 0) {
          this.resync(info);
          continue;
        }
      }
      const entries = reply?.[0]?.[1];
      if (entries && entries.length > 0) this.apply(entries);
    }
  }

  private resync(info: StreamInfo): void {
    this.log.warn({ from: this.lastId, to: info.lastGenerated }, 'bus trimmed past this node: resync');
    this.resyncs++;
    this.lastId = info.lastGenerated;
    this.addedAtLastId = info.entriesAdded;
    this.emit({ kind: 'resync' });
    this.sink.flushed();
  }

  private apply(entries: StreamEntry[]): void {
    for (const [id, flat] of entries) {
      this.lastId = id;
      this.addedAtLastId++;
      // Fields start with k <kind> r <room key>: skip rooms not served here before parsing anything.
      const kind = flat[1];
      if (kind !== 'nick' && !this.sink.serves(flat[3] ?? '')) continue;
      let event: EngineEvent | null;
      try {
        event = decodeEvent(flat);
      } catch (err) {
        this.log.error({ err: (err as Error).message, id }, 'unreadable bus entry skipped');
        continue;
      }
      if (event) this.emit(event);
    }
    this.entriesBehind = Math.max(0, this.entriesBehind - entries.length);
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

export function decodeEvent(flat: string[]): EngineEvent | null {
  const f = fieldsOf(flat);
  const roomKey = f.r ?? '';
  switch (f.k) {
    case 'msg':
      return { kind: 'msg', roomKey, message: decodePayload(f.m!, Number(f.s), Number(f.t)) };
    case 'join':
      return { kind: 'join', roomKey, room: f.rn!, member: decodeMember(f.n!), seq: Number(f.s), ts: Number(f.t) };
    case 'part': {
      const event: EngineEvent = { kind: 'part', roomKey, room: f.rn!, member: decodeMember(f.n!) };
      if (f.why) event.reason = f.why;
      return event;
    }
    case 'topic':
      return { kind: 'topic', roomKey, room: f.rn!, topic: f.tp ?? '', by: f.by ?? '', ts: Number(f.t) };
    case 'nick':
      return { kind: 'nick', member: decodeMember(f.n!), old: f.o!, rooms: JSON.parse(f.rs ?? '[]') as string[] };
    default:
      return null;
  }
}

async function readInfo(conn: Redis): Promise<StreamInfo | null> {
  try {
    return parseInfo(await conn.xinfo('STREAM', BUS));
  } catch (err) {
    if (/no such key/i.test((err as Error).message)) return null;
    throw err;
  }
}

function parseInfo(raw: unknown): StreamInfo | null {
  if (!Array.isArray(raw)) return null;
  const f: Record<string, unknown> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) f[String(raw[i])] = raw[i + 1];
  return {
    lastGenerated: String(f['last-generated-id'] ?? '0-0'),
    maxDeleted: String(f['max-deleted-entry-id'] ?? '0-0'),
    entriesAdded: Number(f['entries-added'] ?? 0),
  };
}
