/** A room's in-memory window of recent history, in process. */
import { describe, expect, it } from 'vitest';
import { HISTORY_PAGE_MAX, REPLY_MAX_BYTES } from '../../shared/limits.js';
import type { ChatMessage } from '../../shared/protocol.js';
import { TokenBucket } from '../../server/rate-limit.js';
import { messageBytes } from '../../server/reply-size.js';
import { Room } from '../../server/room.js';

const message = (seq: number, text: string): ChatMessage => ({ room: '#r', id: `id${seq}`, seq, from: 'a', text, ts: seq });

describe('Room recent window', () => {
  it('is bounded in bytes as well as in messages, and still pages back to the store', () => {
    const room = new Room('#r', '#r', 0, [], new TokenBucket(0, 1));
    const big = '😀'.repeat(4000);
    let held = 0;
    for (let seq = 1; seq <= 1000; seq++) {
      room.remember(message(seq, big));
      const page = room.recentPage(Number.MAX_SAFE_INTEGER, HISTORY_PAGE_MAX)!;
      held = Math.max(held, page.messages.length);
    }
    // What the window can answer from memory never holds more than two pages' worth of bytes.
    let oldestInWindow = 1000;
    for (let before = 1001; ;) {
      const page = room.recentPage(before, HISTORY_PAGE_MAX);
      if (!page || page.messages.length === 0) break;
      oldestInWindow = page.messages[0]!.seq;
      if (!page.more) break;
      before = oldestInWindow;
    }
    const windowBytes = (1000 - oldestInWindow + 1) * messageBytes(message(1, big));
    expect(windowBytes).toBeLessThanOrEqual(2 * REPLY_MAX_BYTES + messageBytes(message(1, big)));
    // Below the window, the store answers.
    expect(room.recentPage(oldestInWindow, HISTORY_PAGE_MAX)).toBeNull();
    expect(held).toBeGreaterThan(1);
  });

  it('keeps the last 400 small messages as before', () => {
    const room = new Room('#r', '#r', 0, [], new TokenBucket(0, 1));
    for (let seq = 1; seq <= 400; seq++) room.remember(message(seq, 'hi'));
    expect(room.recentPage(Number.MAX_SAFE_INTEGER, HISTORY_PAGE_MAX)!.messages).toHaveLength(200);
    expect(room.recentPage(201, HISTORY_PAGE_MAX)!.messages).toHaveLength(200);
  });
});
