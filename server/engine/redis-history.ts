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
  const newestFirst: ChatMessage[] = [];
  if (limit <= 0 || (before !== null && before <= 1)) return { messages: [], more: false };
  let bytes = 0;
  let upper = before === null ? '+' : `(${before}-0`;
  let chunk = first;
  for (;;) {
    const asked = Math.min(limit + 1 - newestFirst.length, CHUNK);
    chunk ??= (await conn.xrevrange(roomLog(roomKey), upper, '-', 'COUNT', asked)) as StreamEntry[];
    for (const entry of chunk) {
      const m = logMessage(entry, room);
      bytes += messageBytes(m);
      if (newestFirst.length === limit || (bytes > REPLY_MAX_BYTES && newestFirst.length > 0)) {
        return { messages: newestFirst.reverse(), more: true };
      }
      newestFirst.push(m);
    }
    if (chunk.length < asked) return { messages: newestFirst.reverse(), more: false };
    upper = `(${chunk[chunk.length - 1]![0]}`;
    chunk = undefined;
  }
}
