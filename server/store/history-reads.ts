/**
 * The reads of room history, on whichever connection they are given (the reader thread's). Knows the
 * schema that HistoryStore creates and nothing of threads.
 */
import type Database from 'better-sqlite3';
import { HISTORY_PAGE_MAX, REPLY_MAX_BYTES } from '../../shared/limits.js';
import type { ChatMessage } from '../../shared/protocol.js';
import { messageBytes } from '../reply-size.js';
import { matchExpression, rowidRange, SEARCH_ROOMS_END } from './search-index.js';

export interface StoredPage {
  messages: ChatMessage[];
  more: boolean;
}

/** A room as it was when read: its last seq and, in the same read transaction, the page ending there. */
export interface StoredRoom {
  lastSeq: number;
  topic: string;
  recent: StoredPage;
}

interface MessageRow { seq: number; id: string; sender: string; text: string; ts: number; action: number; account: string | null }

/** A message to find: by its id, or the last one before a time. */
export type Anchor = { id: string } | { ts: number };

export class HistoryReads {
  private readonly selectPage: Database.Statement<[string, number, number], MessageRow>;
  private readonly selectAfter: Database.Statement<[string, number, number, number], MessageRow>;
  private readonly selectById: Database.Statement<[string, string], { seq: number }>;
  private readonly selectBeforeTs: Database.Statement<[string, number], { seq: number }>;
  private readonly selectLastSeq: Database.Statement<[string], { seq: number | null }>;
  private readonly selectTopic: Database.Statement<[string], { topic: string }>;
  private readonly readRoom: (roomKey: string, name: string, upTo: number | null) => StoredRoom;
  private readonly selectRoomNumber: Database.Statement<[string], number>;
  private readonly selectMatches: Database.Statement<[string, string, bigint, bigint, number], MessageRow>;
  private readonly selectRecords: Database.Statement<[string, string, string], { key: string; value: string }>;

  constructor(db: Database.Database) {
    this.selectPage = db.prepare(
      'SELECT seq, id, sender, text, ts, action, account FROM messages WHERE room_key = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
    );
    this.selectAfter = db.prepare(
      'SELECT seq, id, sender, text, ts, action, account FROM messages WHERE room_key = ? AND seq > ? AND seq < ? ORDER BY seq LIMIT ?',
    );
    // Both walk the room's rows from the newest: an id or a time asked for is most often recent (a
    // client catching up after a reconnect).
    this.selectById = db.prepare('SELECT seq FROM messages WHERE room_key = ? AND id = ? ORDER BY seq DESC LIMIT 1');
    this.selectBeforeTs = db.prepare('SELECT seq FROM messages WHERE room_key = ? AND ts < ? ORDER BY seq DESC LIMIT 1');
    this.selectLastSeq = db.prepare('SELECT MAX(seq) AS seq FROM messages WHERE room_key = ?');
    this.selectTopic = db.prepare('SELECT topic FROM rooms WHERE room_key = ?');
    this.selectRoomNumber = db.prepare<[string], number>('SELECT num FROM room_numbers WHERE room_key = ?').pluck();
    // The index gives rowids newest first within the room's range; each one is read from messages.
    this.selectMatches = db.prepare(
      `SELECT m.seq, m.id, m.sender, m.text, m.ts, m.action, m.account
       FROM message_words AS w JOIN messages AS m ON m.room_key = ? AND m.seq = (w.rowid & ${2 ** 40 - 1})
       WHERE w.message_words MATCH ? AND w.rowid >= ? AND w.rowid < ?
       ORDER BY w.rowid DESC LIMIT ?`,
    );
    this.selectRecords = db.prepare('SELECT key, value FROM registry WHERE kind = ? AND key >= ? AND key < ? ORDER BY key');
    // One read transaction: the last seq and the page below it come from the same snapshot of the file.
    this.readRoom = db.transaction((roomKey: string, name: string, upTo: number | null): StoredRoom => {
      const lastSeq = upTo ?? this.lastSeq(roomKey);
      return { lastSeq, topic: this.topic(roomKey), recent: this.page(roomKey, name, lastSeq + 1, HISTORY_PAGE_MAX) };
    });
  }

  lastSeq(roomKey: string): number {
    return this.selectLastSeq.get(roomKey)?.seq ?? 0;
  }

  topic(roomKey: string): string {
    return this.selectTopic.get(roomKey)?.topic ?? '';
  }

  /**
   * The room's topic and newest page up to `upTo` (its last seq when null), read in one transaction.
   */
  room(roomKey: string, name: string, upTo: number | null): StoredRoom {
    return this.readRoom(roomKey, name, upTo);
  }

  /**
   * Up to `limit` messages older than `before` that fit in a reply (see fitNewest), oldest first, and
   * whether older ones remain.
   */
  page(roomKey: string, roomName: string, before: number, limit: number): StoredPage {
    return newestPage(this.selectPage.iterate(roomKey, before, limit + 1), roomName, limit);
  }

  /**
   * The newest `limit` messages older than `before` that hold every one of `words` (see search-index.ts),
   * cut as `page` cuts, oldest first, and whether older matches remain.
   */
  search(roomKey: string, roomName: string, words: readonly string[], before: number, limit: number): StoredPage {
    const num = this.selectRoomNumber.get(roomKey);
    if (num === undefined || num >= SEARCH_ROOMS_END || words.length === 0) return { messages: [], more: false };
    const [low, high] = rowidRange(num, before);
    return newestPage(this.selectMatches.iterate(roomKey, matchExpression(words), low, high, limit + 1), roomName, limit);
  }

  /**
   * Up to `limit` messages after `after` and before `before` that fit in a reply, oldest first, and
   * whether newer ones remain (before `before`).
   */
  pageAfter(roomKey: string, roomName: string, after: number, before: number, limit: number): StoredPage {
    return cutPage(this.selectAfter.iterate(roomKey, after, before, limit + 1), roomName, limit);
  }

  /**
   * The registry records of `kind` whose key starts with `prefix` (ending in an ASCII character: one
   * account's read markers, say), as [key, JSON] pairs: a range of the primary key, however many others there are.
   */
  records(kind: string, prefix: string): Array<[key: string, value: string]> {
    return this.selectRecords.all(kind, prefix, prefixEnd(prefix)).map((r) => [r.key, r.value]);
  }

  /** The seq of the message with that id (null: none), or of the last message before that time (0: none). */
  locate(roomKey: string, anchor: Anchor): number | null {
    if ('id' in anchor) return this.selectById.get(roomKey, anchor.id)?.seq ?? null;
    return this.selectBeforeTs.get(roomKey, anchor.ts)?.seq ?? 0;
  }
}

/** The least string above every string that starts with `prefix`, which ends in an ASCII character. */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/**
 * Up to `limit` of `rows` that fit in a reply, in the order read, and whether more remain beyond them.
 * Rows are read one at a time and no further than the page reaches (the same cut as fitNewest): reading
 * all `limit` maximal messages to send a tenth of them cost many times what is charged.
 */
function cutPage(rows: Iterable<MessageRow>, roomName: string, limit: number): StoredPage {
  const messages: ChatMessage[] = [];
  let bytes = 0;
  let more = false;
  for (const r of rows) {
    const m: ChatMessage = { room: roomName, id: r.id, seq: r.seq, from: r.sender, text: r.text, ts: r.ts };
    if (r.action) m.action = true;
    if (r.account !== null) m.account = r.account;
    bytes += messageBytes(m);
    if (messages.length === limit || (bytes > REPLY_MAX_BYTES && messages.length > 0)) {
      more = true;
      break;
    }
    messages.push(m);
  }
  return { messages, more };
}

/** Up to `limit` of `rows` (newest first) that fit in a reply (see cutPage), oldest first, and whether older ones remain. */
function newestPage(rows: Iterable<MessageRow>, roomName: string, limit: number): StoredPage {
  const page = cutPage(rows, roomName, limit);
  page.messages.reverse();
  return page;
}
