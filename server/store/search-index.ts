/**
 * The full-text index of room messages (SQLite FTS5). The writer thread indexes each batch in the
 * transaction that stores it (SearchIndexWriter), so a message is searchable once it is acked.
 *
 * `messages` has no rowid, so the index gives each message one: the room's number (from `room_numbers`)
 * in the high bits and its seq in the low 40. One room's messages are then one contiguous range of
 * rowids in seq order, and a search reads only that room's part of each word's list, newest first,
 * stopping at the end of its page. The index holds no copy of the text (contentless) and no row lengths
 * (columnsize=0: results are ordered by rowid, never ranked); results are read from `messages`, so an
 * index entry whose row is gone (a failed batch taken back) is never shown, and is left in place: seqs
 * are never handed out again, and telling FTS5 to forget a row needs exactly the text it indexed. A
 * message changed in place would have to be forgotten that way first. Messages past seq 2^40 − 1, or of
 * rooms past the 2^23rd, are not indexed.
 *
 * Why not triggers: an insert that fires one opens a statement savepoint, and FTS5 flushes its pending
 * words to disk at every savepoint, so each message became its own segment (about 30 µs more CPU each,
 * against 3–14 µs for a batch indexed in rowid order, which FTS5 keeps in one segment; docs/performance.md).
 *
 * unicode61 with remove_diacritics 2: words compare in any case and without accents on Latin letters.
 */
import type Database from 'better-sqlite3';

const SEQ_BITS = 40n;
/** The first seq the index leaves out, and the first room number. */
export const SEARCH_SEQ_END = 2 ** 40;
export const SEARCH_ROOMS_END = 2 ** 23;

export const SEARCH_SCHEMA = `
CREATE TABLE IF NOT EXISTS room_numbers (
  num INTEGER PRIMARY KEY,
  room_key TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE IF NOT EXISTS message_words USING fts5(
  text, content = '', columnsize = 0, tokenize = 'unicode61 remove_diacritics 2'
);
`;

/** Indexes the messages stored before the index existed (a database of an older server). */
export const SEARCH_BACKFILL = `
INSERT OR IGNORE INTO room_numbers (room_key) SELECT DISTINCT room_key FROM messages ORDER BY room_key;
INSERT INTO message_words (rowid, text)
  SELECT (num << ${SEQ_BITS}) | m.seq, m.text FROM messages AS m JOIN room_numbers USING (room_key)
  WHERE num < ${SEARCH_ROOMS_END} AND m.seq BETWEEN 1 AND ${SEARCH_SEQ_END - 1}
  ORDER BY num, m.seq;
`;

function indexed(num: number, seq: number): boolean {
  return num < SEARCH_ROOMS_END && seq >= 1 && seq < SEARCH_SEQ_END;
}

function rowidOf(num: number, seq: number): bigint {
  return (BigInt(num) << SEQ_BITS) | BigInt(seq);
}

/** The rowids of the room numbered `num` whose seq is below `before`: [low, high). */
export function rowidRange(num: number, before: number): [bigint, bigint] {
  const base = BigInt(num) << SEQ_BITS;
  return [base, base + BigInt(Math.min(before, SEARCH_SEQ_END))];
}

export interface IndexedMessage {
  roomKey: string;
  seq: number;
  text: string;
}

/** The writer thread's side: adds a batch of messages to the index, inside the caller's transaction. */
export class SearchIndexWriter {
  private readonly numberOf: Database.Statement<[string], number>;
  private readonly addRoom: Database.Statement<[string]>;
  private readonly addWords: Database.Statement<[bigint, string]>;

  constructor(db: Database.Database) {
    this.numberOf = db.prepare<[string], number>('SELECT num FROM room_numbers WHERE room_key = ?').pluck();
    this.addRoom = db.prepare('INSERT INTO room_numbers (room_key) VALUES (?)');
    this.addWords = db.prepare('INSERT INTO message_words (rowid, text) VALUES (?, ?)');
  }

  /** In rowid order, so FTS5 keeps the whole batch in memory and writes it as one segment at commit. */
  add(messages: readonly IndexedMessage[]): void {
    const numbers = new Map<string, number>();
    const entries: Array<[bigint, string]> = [];
    for (const m of messages) {
      let num = numbers.get(m.roomKey);
      if (num === undefined) {
        num = this.numberOf.get(m.roomKey) ?? Number(this.addRoom.run(m.roomKey).lastInsertRowid);
        numbers.set(m.roomKey, num);
      }
      if (indexed(num, m.seq)) entries.push([rowidOf(num, m.seq), m.text]);
    }
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const entry of entries) this.addWords.run(...entry);
  }
}

/**
 * An FTS5 query that holds every word: each word one quoted string, so nothing a user types is read as
 * FTS5 syntax (`OR`, `NEAR(`, `*`, `-`, `:`, `^` are text inside quotes; `"` is doubled). A quoted word
 * is split by the tokenizer as message text is (`x-ray` is the phrase `x ray`). Joined by the implicit
 * AND, which passes over a word the tokenizer finds nothing in (an explicit AND would match nothing).
 */
export function matchExpression(words: readonly string[]): string {
  return words.map((w) => `"${w.replaceAll('"', '""')}"`).join(' ');
}
