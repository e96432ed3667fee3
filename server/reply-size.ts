/**
 * Cutting answers to size. A page is the newest messages that fit in REPLY_MAX_BYTES; at least one always
 * fits (a message is at most a few tens of KiB), so paging with `before` always moves.
 */
import { REPLY_MAX_BYTES } from '../shared/limits.js';
import type { ChatMessage } from '../shared/protocol.js';

/** The JSON size of a message, closely enough: its text in UTF-8 and its fields, ignoring escapes. */
export function messageBytes(m: ChatMessage): number {
  return Buffer.byteLength(m.text) + m.from.length + m.room.length + m.id.length + (m.account === undefined ? 0 : m.account.length + 13) + 80;
}

/**
 * How many of `newestFirst(0)`, `newestFirst(1)`, … to put in one page: at most `limit`, and as many as
 * fit in `maxBytes` (at least one).
 */
export function fitNewest(count: number, at: (i: number) => ChatMessage, limit: number, maxBytes = REPLY_MAX_BYTES): number {
  let bytes = 0;
  const n = Math.min(count, limit);
  for (let i = 0; i < n; i++) {
    bytes += messageBytes(at(i));
    if (bytes > maxBytes && i > 0) return i;
  }
  return n;
}
