/**
 * The full-text index of room messages (SQLite FTS5), kept in step with `messages` by triggers, so every
 * committed message is searchable in the same transaction and a message taken back leaves the index too.
 *
 * `messages` has no rowid, so the index gives each message one: the room's number (from `room_numbers`)
 * in the high bits and its seq in the low 40. One room's messages are then one contiguous range of
 * rowids in seq order, and a search reads only that room's part of each word's list, newest first,
 * stopping at the end of its page. The index holds no copy of the text (contentless); results are read
 * from `messages`. Messages past seq 2^40 − 1, or of rooms past the 2^23rd, are not indexed. Nor does it
 * keep each row's length (columnsize=0): results are ordered by rowid, never ranked, and the lengths' table
 * took a write in every room's part of it per commit, which tripled the index's cost per message.
 *
 * unicode61 with remove_diacritics 2: words compare in any case and without accents on Latin letters.
 */

const SEQ_BITS = 40n;
/** The first seq the index leaves out, and the first room number. */
export const SEARCH_SEQ_END = 2 ** 40;
export const SEARCH_ROOMS_END = 2 ** 23;

/** `row`: the messages row ('new' or 'old' in a trigger, the table's alias elsewhere). */
const INDEXED = (row: string) => `num < ${SEARCH_ROOMS_END} AND ${row}.seq BETWEEN 1 AND ${SEARCH_SEQ_END - 1}`;
const ROWID = (row: string) => `(num << ${SEQ_BITS}) | ${row}.seq`;
// A contentless table forgets a row by being told its rowid and the text it indexed (the 'delete' command).
const REMOVE_OLD = `INSERT INTO message_words (message_words, rowid, text)
    SELECT 'delete', ${ROWID('old')}, old.text FROM room_numbers WHERE room_key = old.room_key AND ${INDEXED('old')};`;
const ADD_NEW = `INSERT OR IGNORE INTO room_numbers (room_key) VALUES (new.room_key);
  INSERT INTO message_words (rowid, text)
    SELECT ${ROWID('new')}, new.text FROM room_numbers WHERE room_key = new.room_key AND ${INDEXED('new')};`;

export const SEARCH_SCHEMA = `
CREATE TABLE IF NOT EXISTS room_numbers (
  num INTEGER PRIMARY KEY,
  room_key TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE IF NOT EXISTS message_words USING fts5(
  text, content = '', columnsize = 0, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS message_words_insert AFTER INSERT ON messages BEGIN
  ${ADD_NEW}
END;
CREATE TRIGGER IF NOT EXISTS message_words_delete AFTER DELETE ON messages BEGIN
  ${REMOVE_OLD}
END;
CREATE TRIGGER IF NOT EXISTS message_words_update AFTER UPDATE ON messages BEGIN
  ${REMOVE_OLD}
  ${ADD_NEW}
END;
`;

/** Indexes the messages stored before the index existed (a database of an older server). */
export const SEARCH_BACKFILL = `
INSERT OR IGNORE INTO room_numbers (room_key) SELECT DISTINCT room_key FROM messages ORDER BY room_key;
INSERT INTO message_words (rowid, text)
  SELECT ${ROWID('m')}, m.text FROM messages AS m JOIN room_numbers USING (room_key) WHERE ${INDEXED('m')};
`;

/** The rowids of the room numbered `num` whose seq is below `before`: [low, high). */
export function rowidRange(num: number, before: number): [bigint, bigint] {
  const base = BigInt(num) << SEQ_BITS;
  return [base, base + BigInt(Math.min(before, SEARCH_SEQ_END))];
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
