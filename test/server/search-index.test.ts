/**
 * The full-text index of room messages in the SQLite store: written by the real writer thread (its
 * triggers), read by the real reader thread, in real database files. Words match in any case and without
 * Latin accents, in one room only, newest page first; what a user types is never FTS5 syntax; a message
 * taken back is never shown; an older server's database is indexed when opened, and a newer server's is
 * refused.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { REPLY_MAX_BYTES } from '../../shared/limits.js';
import { capturingLogger, fromDist, historyStore, historyWriter } from '../helpers/in-process.js';
import { makeTempDir, removeDir } from '../helpers/server.js';

type ReaderModule = typeof import('../../server/store/history-reader.js');
type Reader = import('../../server/store/history-reader.js').HistoryReader;
type Writer = import('../../server/store/history-writer.js').HistoryWriter;
type Store = import('../../server/store/history-store.js').HistoryStore;

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) removeDir(d); });

function tempDir(): string {
  const d = makeTempDir('chat-search-');
  dirs.push(d);
  return d;
}

interface Opened { dir: string; store: Store; writer: Writer; reader: Reader }
const opened: Opened[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) {
    await o.reader.close();
    await o.writer.close();
    o.store.close();
  }
});

async function open(dir = tempDir()): Promise<Opened> {
  const { HistoryStore } = await historyStore();
  const { HistoryWriter } = await historyWriter();
  const { HistoryReader } = await fromDist<ReaderModule>('server/store/history-reader.js');
  const store = new HistoryStore(dir);
  const { log } = capturingLogger();
  const writer = new HistoryWriter(store.file, store.database, log);
  const reader = new HistoryReader(store.file, log, { timeoutMs: 60_000 });
  await writer.start();
  await reader.start();
  const o = { dir, store, writer, reader };
  opened.push(o);
  return o;
}

/** Stores `texts` in `room` (seqs from `first`), through the writer thread, in one batch. */
async function say(o: Opened, room: string, texts: string[], first = 1): Promise<void> {
  await o.writer.append(texts.map((text, i) => ({ roomKey: room.toLowerCase(), room, id: `${room}-${first + i}`, seq: first + i, from: 'ann', text, ts: 1_700_000_000_000 + i })));
}

const TOP = Number.MAX_SAFE_INTEGER;

async function found(o: Opened, room: string, words: string[], before = TOP, limit = 200): Promise<string[]> {
  return (await o.reader.search(room.toLowerCase(), room, words, before, limit)).messages.map((m) => m.text);
}

describe('searching the store', () => {
  it('finds messages holding every word, in any case and with or without Latin accents, in that room only', async () => {
    const o = await open();
    await say(o, '#Food', ['Crème Brûlée tonight', 'creme only', 'BRULEE only', 'cafe\u0301 au lait', 'ΣΊΣΥΦΟΣ', 'straße', 'x-ray vision', "don't stop"]);
    await say(o, '#other', ['creme brulee elsewhere']);
    expect(await found(o, '#Food', ['creme', 'brulee'])).toEqual(['Crème Brûlée tonight']);
    expect(await found(o, '#Food', ['BRÛLÉE', 'CRÈME'])).toEqual(['Crème Brûlée tonight']);
    expect(await found(o, '#Food', ['brulee'])).toEqual(['Crème Brûlée tonight', 'BRULEE only']);
    // A decomposed é (e + U+0301) matches too.
    expect(await found(o, '#Food', ['CAFE'])).toEqual(['cafe\u0301 au lait']);
    expect(await found(o, '#Food', ['café'])).toEqual(['cafe\u0301 au lait']);
    // Only Latin accents go; letters are not expanded.
    expect(await found(o, '#Food', ['σίσυφος'])).toEqual(['ΣΊΣΥΦΟΣ']);
    expect(await found(o, '#Food', ['ΣΙΣΥΦΟΣ'])).toEqual([]);
    expect(await found(o, '#Food', ['strasse'])).toEqual([]);
    // Punctuation in a word splits it as in messages.
    expect(await found(o, '#Food', ['X-RAY'])).toEqual(['x-ray vision']);
    expect(await found(o, '#Food', ["don't"])).toEqual(["don't stop"]);
    expect(await found(o, '#other', ['creme'])).toEqual(['creme brulee elsewhere']);
    expect(await found(o, '#none', ['creme'])).toEqual([]);
  });

  it('reads the newest page below `before`, oldest first, and says when older matches remain', async () => {
    const o = await open();
    await say(o, '#r', Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? `match ${i + 1}` : `miss ${i + 1}`)));
    const page = (before: number) => o.reader.search('#r', '#R', ['match'], before, 2);
    const seqs = (p: { messages: { seq: number }[] }) => p.messages.map((m) => m.seq);
    const first = await page(TOP);
    expect(first).toMatchObject({ more: true, messages: [{ room: '#R', seq: 9, text: 'match 9', from: 'ann', id: '#r-9' }, { seq: 11 }] });
    expect(seqs(await page(9))).toEqual([5, 7]);
    expect(await page(5)).toMatchObject({ more: false, messages: [{ seq: 1 }, { seq: 3 }] });
    expect(await page(1)).toEqual({ messages: [], more: false });
    expect(await o.reader.search('#r', '#r', ['match'], 4, 200)).toMatchObject({ more: false, messages: [{ seq: 1 }, { seq: 3 }] });
  });

  it('cuts a page of long messages at the reply size, as history does', async () => {
    const o = await open();
    const long = `needle ${'x'.repeat(3990)}`;
    await say(o, '#big', Array.from({ length: 100 }, () => long));
    const page = await o.reader.search('#big', '#big', ['needle'], TOP, 200);
    expect(page.more).toBe(true);
    expect(page.messages.length).toBeGreaterThan(10);
    expect(page.messages.length).toBeLessThan(100);
    expect(JSON.stringify(page.messages).length).toBeLessThanOrEqual(REPLY_MAX_BYTES);
    expect(page.messages.at(-1)!.seq).toBe(100);
  });

  it('reads no word as FTS5 syntax: quotes, OR, NEAR(, *, -, ^ and column filters are text', async () => {
    const o = await open();
    await say(o, '#q', ['a', 'b', 'a or b', 'near a then b', 'a x b', 'xylophone', 'x', 'foo', 'bar', 'text foo', 'caret ^', 'not this']);
    // Injected, each of these would match more (or fail): a phrase of the literal tokens matches only them.
    expect(await found(o, '#q', ['a" OR "b'])).toEqual(['a or b']);
    expect(await found(o, '#q', ['a', 'OR', 'b'])).toEqual(['a or b']);
    expect(await found(o, '#q', ['NEAR(a', 'b)'])).toEqual(['near a then b']);
    expect(await found(o, '#q', ['NEAR(a', 'b,', '1)'])).toEqual([]);
    expect(await found(o, '#q', ['x*'])).toEqual(['a x b', 'x']);
    expect(await found(o, '#q', ['-foo'])).toEqual(['foo', 'text foo']);
    expect(await found(o, '#q', ['foo', '-text'])).toEqual(['text foo']);
    expect(await found(o, '#q', ['NOT', 'this'])).toEqual(['not this']);
    expect(await found(o, '#q', ['text:foo'])).toEqual(['text foo']);
    expect(await found(o, '#q', ['{text}:', 'bar'])).toEqual([]);
    expect(await found(o, '#q', ['^foo'])).toEqual(['foo', 'text foo']);
    // Words with no letters never reach the store from a client; here they match nothing and fail nothing.
    for (const words of [['"'], ['""'], ['*'], ['-'], ['('], ['"', 'foo'], ['\\'], ["'"]]) {
      await expect(found(o, '#q', words), words.join(' ')).resolves.toEqual(words.includes('foo') ? ['foo', 'text foo'] : []);
    }
  });

  it('never shows a message taken back (a failed batch the next writer deletes), though its words stay indexed', async () => {
    const o = await open();
    await say(o, '#r', ['kept words', 'taken back words']);
    const db = new Database(o.store.file);
    try {
      // What the writer does to a batch whose sender was told it failed (writer-worker.ts, undo).
      db.prepare("DELETE FROM messages WHERE room_key = '#r' AND seq = 2 AND id = '#r-2'").run();
      db.exec("INSERT INTO message_words (message_words) VALUES ('integrity-check')");
    } finally {
      db.close();
    }
    expect(await found(o, '#r', ['words'])).toEqual(['kept words']);
    expect(await found(o, '#r', ['taken'])).toEqual([]);
    expect(await o.reader.search('#r', '#r', ['words'], TOP, 1)).toMatchObject({ messages: [{ seq: 1 }], more: false });
    await say(o, '#r', ['later words'], 3);
    expect(await found(o, '#r', ['words'])).toEqual(['kept words', 'later words']);
  });

  it('leaves out messages past seq 2^40 and rooms past the 2^23rd, without touching the others', async () => {
    const o = await open();
    await say(o, '#r', ['word one']);
    await say(o, '#r', ['word far'], 2 ** 40);
    const db = new Database(o.store.file);
    try {
      db.prepare("INSERT INTO room_numbers (num, room_key) VALUES (?, '#late')").run(2 ** 23);
    } finally {
      db.close();
    }
    await say(o, '#late', ['word late']);
    await say(o, '#next', ['word next']);
    expect(await found(o, '#r', ['word'])).toEqual(['word one']);
    expect(await found(o, '#late', ['word'])).toEqual([]);
    expect(await found(o, '#next', ['word'])).toEqual([]);
    // #next got number 2^23 + 1, past the end too: that is the limit, and #r is untouched by both.
    expect(await found(o, '#r', ['late'])).toEqual([]);
  });
});

/** The schema an older server (before the search index) created, exactly. */
const OLD_SCHEMA = `
CREATE TABLE messages (
  room_key TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, sender TEXT NOT NULL, text TEXT NOT NULL,
  ts INTEGER NOT NULL, action INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (room_key, seq)
) WITHOUT ROWID;
CREATE TABLE rooms (room_key TEXT PRIMARY KEY, topic TEXT NOT NULL DEFAULT '', topic_by TEXT, topic_ts INTEGER) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE registry (kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID;
`;

describe('database versions', () => {
  it("indexes an older server's messages when it opens its database, and new ones after them", async () => {
    const dir = tempDir();
    const old = new Database(path.join(dir, 'chat.db'));
    old.pragma('journal_mode = WAL');
    old.exec(OLD_SCHEMA);
    const insert = old.prepare('INSERT INTO messages (room_key, seq, id, sender, text, ts, action) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (let seq = 1; seq <= 30; seq++) insert.run('#old', seq, `o${seq}`, 'bob', seq % 3 === 0 ? `Résumé ${seq}` : `plain ${seq}`, seq, seq === 3 ? 1 : 0);
    insert.run('#two', 1, 't1', 'bob', 'resume elsewhere', 1, 0);
    expect(old.pragma('user_version', { simple: true })).toBe(0);
    old.close();

    const o = await open(dir);
    expect(o.store.migrated).toEqual([
      { version: 1, what: 'full-text search index of messages', ms: expect.any(Number) },
      { version: 2, what: "the sender's account on each message", ms: expect.any(Number) },
    ]);
    const page = await o.reader.search('#old', '#old', ['resume'], TOP, 200);
    expect(page.messages.map((m) => m.seq)).toEqual([3, 6, 9, 12, 15, 18, 21, 24, 27, 30]);
    expect(page.messages[0]).toMatchObject({ action: true, from: 'bob', text: 'Résumé 3' });
    // Its senders' accounts were never recorded: none is made up.
    expect(page.messages.some((m) => 'account' in m)).toBe(false);
    expect(await found(o, '#two', ['resume'])).toEqual(['resume elsewhere']);
    await say(o, '#old', ['new résumé'], 31);
    expect((await found(o, '#old', ['RESUME'])).at(-1)).toBe('new résumé');

    const db = new Database(o.store.file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    db.close();
  });

  it('opens its own database again without migrating it twice', async () => {
    const o = await open();
    await say(o, '#r', ['once']);
    await o.reader.close();
    await o.writer.close();
    o.store.close();
    opened.splice(opened.indexOf(o), 1);
    const again = await open(o.dir);
    expect(again.store.migrated).toEqual([]);
    expect(await found(again, '#r', ['once'])).toEqual(['once']);
  });

  it("refuses a newer server's database, whose schema it does not know, and says so", async () => {
    const dir = tempDir();
    const newer = new Database(path.join(dir, 'chat.db'));
    newer.exec(OLD_SCHEMA);
    newer.pragma('user_version = 7');
    newer.close();
    const { HistoryStore } = await historyStore();
    expect(() => new HistoryStore(dir)).toThrow(
      `history database '${path.join(dir, 'chat.db')}' has schema version 7, newer than this server's (2): run the newer server`,
    );
    expect(existsSync(path.join(dir, 'history-id'))).toBe(false);
  });
});
