/**
 * `node dist/bench/search-cost.js`: what the full-text search index (server/store/search-index.ts) costs.
 * Writing: the history writer thread's commit time per message with the index, against the same store
 * whose index table ignores what it is given, in alternating runs (median of each), as commit time (wall,
 * what an ack waits for) and as the process's CPU time while filling (the writer thread's, mostly, which a
 * loaded machine disturbs less). Reading: the reader thread's
 * time for searches of a rare word, a common one, two common words never in one message (the worst case:
 * the index walks both lists through the room) and a deep page. Upgrading: the time to index an older
 * server's database of that many messages when it is opened. Prints one JSON line after a readable
 * summary. Not a test: the figures depend on the machine.
 *
 * Options: --messages N (100000), --rooms R (50), --batch B (100), --runs K (3).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { HistoryReader } from '../server/store/history-reader.js';
import { HistoryStore, type StoredMessage } from '../server/store/history-store.js';
import { HistoryWriter } from '../server/store/history-writer.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '100000' },
    rooms: { type: 'string', default: '50' },
    batch: { type: 'string', default: '100' },
    runs: { type: 'string', default: '3' },
  },
});
const MESSAGES = Number(values.messages);
const ROOMS = Number(values.rooms);
const BATCH = Number(values.batch);
const RUNS = Number(values.runs);
const log = pino({ level: 'warn' });

const WORDS = ('the a to and of in is it you that was for on are with as I his they be at one have this from or had by hot '
  + 'word but what some we can out other were all there when up use your how said an each she which do their time if will way '
  + 'about many then them write would like so these her long make thing see him two has look more day could go come did number '
  + 'sound no most people my over know water than call first who may down side been now find deploy server build release').split(' ');

/** Message `i`: about 12 words; every 1000th holds `zebra`, even ones `alpha`, odd ones `omega`. */
function textOf(i: number): string {
  const words: string[] = [];
  for (let k = 0; k < 12; k++) words.push(WORDS[(i * 7 + k * 13 + (i >> 3)) % WORDS.length]!);
  words.push(i % 2 === 0 ? 'alpha' : 'omega');
  if (i % 1000 === 0) words.push('zebra');
  return words.join(' ');
}

const roomOf = (i: number) => `#room${i % ROOMS}`;

function folder(): string {
  return mkdtempSync(path.join(tmpdir(), 'chat-search-cost-'));
}

function bytesOf(dir: string): number {
  let total = 0;
  for (const name of ['chat.db', 'chat.db-wal']) {
    try {
      total += statSync(path.join(dir, name)).size;
    } catch { /* no -wal */ }
  }
  return total;
}

/** Appends every message in batches through the writer thread; returns the commits' seconds summed. */
async function fill(dir: string, indexed: boolean): Promise<{ usPerMessage: number; cpuUsPerMessage: number; bytes: number }> {
  const store = new HistoryStore(dir);
  if (!indexed) {
    // The same store and writer, but the words go nowhere: an ordinary table that ignores every insert.
    const db = new Database(store.file);
    db.exec(`DROP TABLE message_words; CREATE TABLE message_words (text TEXT);
      CREATE TRIGGER message_words_skip BEFORE INSERT ON message_words BEGIN SELECT RAISE(IGNORE); END;`);
    db.close();
  }
  const writer = new HistoryWriter(store.file, store.database, log, { commitTimeoutMs: 600_000 });
  await writer.start();
  let seconds = 0;
  const cpu = process.cpuUsage();
  for (let from = 0; from < MESSAGES; from += BATCH) {
    const rows: StoredMessage[] = [];
    for (let i = from; i < Math.min(from + BATCH, MESSAGES); i++) {
      const room = roomOf(i);
      rows.push({ roomKey: room, room, id: `m${i}`, seq: Math.floor(i / ROOMS) + 1, from: 'bench', text: textOf(i), ts: 1_700_000_000_000 + i });
    }
    seconds += await writer.append(rows);
  }
  const used = process.cpuUsage(cpu);
  await writer.close();
  store.close();
  return { usPerMessage: (seconds * 1e6) / MESSAGES, cpuUsPerMessage: (used.user + used.system) / MESSAGES, bytes: bytesOf(dir) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const round = (x: number, digits = 1) => Number(x.toFixed(digits));

async function timeSearches(dir: string): Promise<Record<string, { matches: number; p50Ms: number; maxMs: number }>> {
  const store = new HistoryStore(dir);
  const reader = new HistoryReader(store.file, log, { timeoutMs: 600_000 });
  await reader.start();
  const room = roomOf(0);
  const perRoom = Math.ceil(MESSAGES / ROOMS);
  const cases: Record<string, { words: string[]; before: number }> = {
    'rare word': { words: ['zebra'], before: Number.MAX_SAFE_INTEGER },
    'common word': { words: ['deploy'], before: Number.MAX_SAFE_INTEGER },
    'two words never together': { words: ['alpha', 'omega'], before: Number.MAX_SAFE_INTEGER },
    'common word, deep page': { words: ['deploy'], before: Math.floor(perRoom / 10) },
  };
  const out: Record<string, { matches: number; p50Ms: number; maxMs: number }> = {};
  for (const [name, { words, before }] of Object.entries(cases)) {
    const times: number[] = [];
    let matches = 0;
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      matches = (await reader.search(room, room, words, before, 50)).messages.length;
      times.push(performance.now() - started);
    }
    out[name] = { matches, p50Ms: round(median(times), 2), maxMs: round(Math.max(...times), 2) };
  }
  await reader.close();
  store.close();
  return out;
}

/** Makes the store an older server's (no index, schema version 0) and times the upgrade when it is opened. */
function timeUpgrade(dir: string): number {
  const db = new Database(path.join(dir, 'chat.db'));
  db.exec('DROP TABLE message_words; DROP TABLE room_numbers;');
  db.pragma('user_version = 0');
  db.close();
  const store = new HistoryStore(dir);
  const ms = store.migrated[0]?.ms ?? 0;
  store.close();
  return ms;
}

const withIndex: number[] = [];
const without: number[] = [];
const cpuWithIndex: number[] = [];
const cpuWithout: number[] = [];
let sizes = { indexed: 0, plain: 0 };
const dirs: string[] = [];
for (let run = 0; run < RUNS; run++) {
  const a = folder();
  const b = folder();
  dirs.push(a, b);
  const indexed = await fill(a, true);
  const plain = await fill(b, false);
  withIndex.push(indexed.usPerMessage);
  without.push(plain.usPerMessage);
  cpuWithIndex.push(indexed.cpuUsPerMessage);
  cpuWithout.push(plain.cpuUsPerMessage);
  sizes = { indexed: indexed.bytes, plain: plain.bytes };
}
const searches = await timeSearches(dirs[0]!);
const upgradeMs = timeUpgrade(dirs[1]!);
for (const d of dirs) rmSync(d, { recursive: true, force: true });

const result = {
  messages: MESSAGES, rooms: ROOMS, batch: BATCH, runs: RUNS,
  commitUsPerMessage: { indexed: round(median(withIndex)), plain: round(median(without)), all: { indexed: withIndex.map((x) => round(x)), plain: without.map((x) => round(x)) } },
  cpuUsPerMessage: { indexed: round(median(cpuWithIndex)), plain: round(median(cpuWithout)) },
  databaseMB: { indexed: round(sizes.indexed / 1e6), plain: round(sizes.plain / 1e6) },
  searches,
  upgradeMs,
};
console.log(`commit time per message on the writer thread: ${result.commitUsPerMessage.indexed} µs indexed, ${result.commitUsPerMessage.plain} µs without (median of ${RUNS})`);
console.log(`process CPU per message while filling: ${result.cpuUsPerMessage.indexed} µs indexed, ${result.cpuUsPerMessage.plain} µs without (median)`);
console.log(`database: ${result.databaseMB.indexed} MB indexed, ${result.databaseMB.plain} MB without`);
for (const [name, s] of Object.entries(searches)) console.log(`search, ${name}: ${s.matches} matches, p50 ${s.p50Ms} ms, max ${s.maxMs} ms`);
console.log(`indexing ${MESSAGES} messages of an older database when it is opened: ${upgradeMs} ms`);
console.log(JSON.stringify(result));
