/**
 * History pages from a room's log stream, cut exactly as the SQLite store cuts them (HistoryStore.page):
 * at most `limit` messages, newest first until REPLY_MAX_BYTES, and `more` true only when an older
 * message exists. The log is read in small chunks, no further than the page reaches.
 */
import type { Redis } from 'ioredis';
import { REPLY_MAX_BYTES } from '../../shared/limits.js';
import type { ChatMessage } from '../../shared/protocol.js';
import { messageBytes } from '../reply-size.js';
import type { HistoryPage } from './engine.js';
import { logMessage, type StreamEntry } from './redis-codec.js';
import { roomLog } from './redis-scripts.js';

const CHUNK = 64;

/** How many entries to ask for first, given a page of `limit`. */
export function firstChunk(limit: number): number {
  return Math.min(limit + 1, CHUNK);
}

/**
 * The page of messages with seq < `before` (the log's newest when `before` is null). `first` may be
 * the first chunk, already read (newest first, `firstChunk(limit)` asked for).
 */
export async function readPage(
  conn: Redis, roomKey: string, room: string, before: number | null, limit: number, first?: StreamEntry[],
): Promise<HistoryPage> {
  if (limit <= 0 || (before !== null && before <= 1)) return { messages: [], more: false };
  const read = (upper: string, count: number) => conn.xrevrange(roomLog(roomKey), upper, '-', 'COUNT', count) as Promise<StreamEntry[]>;
  const page = await cutLog(read, before === null ? '+' : `(${before}-0`, room, limit, first);
  page.messages.reverse();
  return page;
}

/** The page of messages with `after` < seq < `before`, oldest first, cut the same way; `more` when newer ones remain. */
export async function readPageAfter(conn: Redis, roomKey: string, room: string, after: number, before: number, limit: number): Promise<HistoryPage> {
  if (limit <= 0 || before <= after + 1) return { messages: [], more: false };
  const read = (lower: string, count: number) => conn.xrange(roomLog(roomKey), lower, `(${before}-0`, 'COUNT', count) as Promise<StreamEntry[]>;
  return cutLog(read, `(${after}-0`, room, limit);
}

/**
 * Messages of the log in the order `read` gives them, a chunk at a time from `from` (each next chunk
 * starts past the last entry read), no further than the page reaches: at most `limit`, cut at
 * REPLY_MAX_BYTES, and `more` when another message lies beyond.
 */
async function cutLog(
  read: (from: string, count: number) => Promise<StreamEntry[]>, from: string, room: string, limit: number, first?: StreamEntry[],
): Promise<HistoryPage> {
  const messages: ChatMessage[] = [];
  let bytes = 0;
  let cursor = from;
  let chunk = first;
  for (;;) {
    const asked = Math.min(limit + 1 - messages.length, CHUNK);
    chunk ??= await read(cursor, asked);
    for (const entry of chunk) {
      const m = logMessage(entry, room);
      bytes += messageBytes(m);
      if (messages.length === limit || (bytes > REPLY_MAX_BYTES && messages.length > 0)) return { messages, more: true };
      messages.push(m);
    }
    if (chunk.length < asked) return { messages, more: false };
    cursor = `(${chunk[chunk.length - 1]![0]}`;
    chunk = undefined;
  }
}

/** Entries a locate may read before it gives up: an anchor that old is answered as not found. */
const LOCATE_MAX_ENTRIES = 100_000;
const LOCATE_CHUNK = 500;

/**
 * The seq of the message with that id (null: none found), or of the last message before that time
 * (0: none). Reads the log from the newest, where a catching-up client's anchor most often is.
 */
export async function locateInLog(conn: Redis, roomKey: string, anchor: { id: string } | { ts: number }): Promise<number | null> {
  let upper = '+';
  for (let read = 0; read < LOCATE_MAX_ENTRIES; read += LOCATE_CHUNK) {
    const chunk = (await conn.xrevrange(roomLog(roomKey), upper, '-', 'COUNT', LOCATE_CHUNK)) as StreamEntry[];
    for (const entry of chunk) {
      const m = logMessage(entry, '');
      if ('id' in anchor ? m.id === anchor.id : m.ts < anchor.ts) return m.seq;
    }
    if (chunk.length < LOCATE_CHUNK) return 'id' in anchor ? null : 0;
    upper = `(${chunk[chunk.length - 1]![0]}`;
  }
  return 'id' in anchor ? null : 0;
}
