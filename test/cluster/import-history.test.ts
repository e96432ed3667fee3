/**
 * `chat-server import-history`: a single node's SQLite history moved into Redis, then served by a cluster
 * node exactly as the single node served it (same ids, seqs, text, ts, action flags, senders' accounts,
 * topics), with new messages continuing the seqs; a database of a server that kept no accounts too. Real processes throughout: the single node, the import command, a real
 * redis-server and a cluster node.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../shared/protocol.js';
import { fullHistory, JsonClient } from '../helpers/clients.js';
import { startNode } from '../helpers/cluster.js';
import { startRedis, type RunningRedis } from '../helpers/redis.js';
import { makeTempDir, removeDir, SERVER_MAIN, startServer, type RunningServer } from '../helpers/server.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function redisServer(): Promise<RunningRedis> {
  const r = await startRedis();
  cleanup.push(() => r.stop());
  return r;
}

async function server(args: string[]): Promise<RunningServer> {
  const s = await startServer({ args });
  cleanup.push(async () => { await s.stop('SIGKILL'); removeDir(s.dataDir); });
  return s;
}

async function client(target: number, nick: string): Promise<JsonClient> {
  const c = await JsonClient.registered('tcp', target, nick);
  cleanup.push(() => c.close());
  return c;
}

function runImport(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [SERVER_MAIN, 'import-history', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    proc.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    proc.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const lines = (messages: object[]) => messages.map((m) => `${JSON.stringify(m)}\n`).join('');

/** Says `n` messages (every seventh an action) in `room` and waits for the last ack. */
async function say(c: JsonClient, room: string, n: number, tag: string): Promise<void> {
  c.sendRaw(lines(Array.from({ length: n }, (_, i) => ({ type: 'say', room, text: `${tag} ${i} ünïcode ✓`, ref: `${tag}${i}`, ...(i % 7 === 3 ? { action: true } : {}) }))));
  await c.next((m) => m.type === 'ack' && m.ref === `${tag}${n - 1}`, 30_000);
}

async function join(c: JsonClient, room: string): Promise<void> {
  c.send({ type: 'join', room });
  await c.next((m) => m.type === 'history' && m.room === room);
  await c.next((m) => m.type === 'who' && m.room === room);
}

const ROOMS = ['#lobby', '#General', '#dev'];

describe('chat-server import-history', () => {
  it('a cluster node serves the imported history exactly as the single node did, continues its seqs, and a re-run imports nothing twice', async () => {
    const single = await server(['--rate-limit', '0', '--room-rate', '0']);
    const alice = await client(single.tcpPort, 'alice');
    const bob = await client(single.tcpPort, 'bob');
    await join(alice, '#General');
    await join(bob, '#General');
    bob.send({ type: 'register', password: 'correct horse', ref: 'reg' });
    await bob.next('account');
    await join(alice, '#dev');
    await say(alice, '#lobby', 5, 'l');
    await say(alice, '#General', 20, 'ga');
    await say(bob, '#General', 20, 'gb');
    // More than one page (200) and more than one import batch (64 below).
    await say(alice, '#dev', 250, 'd');
    alice.send({ type: 'topic', room: '#dev', topic: 'all things dev', ref: 't' });
    await alice.next((m) => m.type === 'topic' && m.room === '#dev');
    const served = new Map<string, ChatMessage[]>();
    for (const room of ROOMS) served.set(room, await fullHistory(bob, room));
    expect(served.get('#dev')!.map((m) => m.seq)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(served.get('#dev')!.filter((m) => m.action)).toHaveLength(36);
    expect(served.get('#General')!.map((m) => m.account ?? null)).toEqual([...Array(20).fill(null), ...Array(20).fill('bob')]);
    expect(await single.stop()).toBe(0);

    const redis = await redisServer();
    const first = await runImport(['--data', single.dataDir, '--redis', redis.url, '--batch', '64']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('  #dev: 250 imported (seq 1-250), 0 already in Redis, topic set\n');
    expect(first.stdout).toContain('  #general: 40 imported (seq 1-40), 0 already in Redis\n');
    expect(first.stdout).toContain('imported 295 messages in 3 of 3 rooms; 0 were already in Redis');

    const node = await server(['--redis', redis.url, '--node-lease', '2']);
    const carol = await client(node.tcpPort, 'carol');
    for (const room of ROOMS) expect(await fullHistory(carol, room)).toEqual(served.get(room));
    // The topic came along, and new messages continue the room's seqs, never before its last ts.
    await join(carol, '#dev');
    carol.send({ type: 'rooms' });
    const list = await carol.next('rooms');
    expect(list.type === 'rooms' && list.rooms.find((r) => r.name === '#dev')).toMatchObject({ topic: 'all things dev' });
    carol.send({ type: 'say', room: '#dev', text: 'from the cluster', ref: 'c' });
    const ack = await carol.next((m) => m.type === 'ack' && m.ref === 'c');
    expect(ack).toMatchObject({ seq: 251 });
    expect(ack.type === 'ack' && ack.ts).toBeGreaterThanOrEqual(served.get('#dev')!.at(-1)!.ts);

    const again = await runImport(['--data', single.dataDir, '--redis', redis.url]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('  #dev: 0 imported, 250 already in Redis, topic kept (Redis had one)\n');
    expect(again.stdout).toContain('imported 0 messages in 0 of 3 rooms; 295 were already in Redis');
    const dev = await fullHistory(carol, '#dev');
    expect(dev.slice(0, 250)).toEqual(served.get('#dev'));
    expect(dev.map((m) => m.seq)).toEqual(Array.from({ length: 251 }, (_, i) => i + 1));
    for (const room of ['#lobby', '#General']) expect(await fullHistory(carol, room)).toEqual(served.get(room));
  }, 120_000);

  it('a re-run after an interrupted import carries on from where Redis is', async () => {
    const single = await server(['--rate-limit', '0', '--room-rate', '0']);
    const alice = await client(single.tcpPort, 'alice');
    await say(alice, '#lobby', 30, 'x');
    const served = await fullHistory(alice, '#lobby');
    expect(await single.stop()).toBe(0);
    const redis = await redisServer();
    // What an import stopped after its first batch leaves: seqs 1-10 in the log and the meta.
    const conn = new Redis(redis.url);
    cleanup.push(() => void conn.disconnect());
    for (const m of served.slice(0, 10)) {
      await conn.xadd('chat:{r:#lobby}:log', `${m.seq}-0`, 'm', JSON.stringify({ id: m.id, from: m.from, text: m.text, room: '#lobby', ...(m.action ? { action: true } : {}) }), 't', m.ts);
    }
    await conn.hset('chat:{r:#lobby}:meta', 'seq', 10);
    const run = await runImport(['--data', single.dataDir, '--redis', redis.url]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('  #lobby: 20 imported (seq 11-30), 10 already in Redis\n');
    expect(await conn.xlen('chat:{r:#lobby}:log')).toBe(30);
    expect(await conn.hget('chat:{r:#lobby}:meta', 'seq')).toBe('30');
  }, 60_000);

  it('refuses, writing nothing, when Redis holds other messages at the same seqs', async () => {
    const redis = await redisServer();
    // A cluster already in use: #dev has a message of its own at seq 1.
    const node = await server(['--redis', redis.url, '--node-lease', '2']);
    const early = await client(node.tcpPort, 'early');
    await join(early, '#dev');
    await say(early, '#dev', 1, 'cluster');
    await node.stop();

    const single = await server(['--rate-limit', '0', '--room-rate', '0']);
    const alice = await client(single.tcpPort, 'alice');
    await join(alice, '#dev');
    await join(alice, '#fresh');
    await say(alice, '#dev', 3, 'single');
    await say(alice, '#fresh', 3, 'single');
    expect(await single.stop()).toBe(0);

    const run = await runImport(['--data', single.dataDir, '--redis', redis.url]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^chat-server import-history: refused: room #dev: Redis already holds seq 1 with other content than this history \(id \S+ there, id \S+ here\); importing would change seqs, so nothing was imported\n$/);
    const conn = new Redis(redis.url);
    cleanup.push(() => void conn.disconnect());
    // Not even the rooms that could have been imported: the check comes before any write.
    expect(await conn.exists('chat:{r:#fresh}:log')).toBe(0);
    expect(await conn.xlen('chat:{r:#dev}:log')).toBe(1);
  }, 60_000);

  it("imports a database of a server older than the account column, with no accounts", async () => {
    const dir = makeTempDir('chat-old-');
    cleanup.push(() => removeDir(dir));
    const old = new Database(path.join(dir, 'chat.db'));
    old.exec(`CREATE TABLE messages (room_key TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, sender TEXT NOT NULL,
      text TEXT NOT NULL, ts INTEGER NOT NULL, action INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (room_key, seq)) WITHOUT ROWID;
      CREATE TABLE rooms (room_key TEXT PRIMARY KEY, topic TEXT NOT NULL DEFAULT '', topic_by TEXT, topic_ts INTEGER) WITHOUT ROWID;`);
    const insert = old.prepare('INSERT INTO messages (room_key, seq, id, sender, text, ts, action) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (let seq = 1; seq <= 3; seq++) insert.run('#old', seq, `o${seq}`, 'ann', `old ${seq}`, 1_700_000_000_000 + seq, 0);
    old.close();
    const redis = await redisServer();
    const run = await runImport(['--data', dir, '--redis', redis.url]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('  #old: 3 imported (seq 1-3), 0 already in Redis\n');
    const conn = new Redis(redis.url);
    cleanup.push(() => void conn.disconnect());
    const log = await conn.xrange('chat:{r:#old}:log', '-', '+');
    expect(log.map(([, fields]) => JSON.parse(fields[1]!) as object)).toEqual([1, 2, 3].map((seq) => ({ id: `o${seq}`, from: 'ann', text: `old ${seq}`, room: '#old' })));
    // And again: what Redis holds matches, nothing twice.
    expect((await runImport(['--data', dir, '--redis', redis.url])).stdout).toContain('  #old: 0 imported, 3 already in Redis\n');
  }, 30_000);

  it('says what is wrong with its arguments or the data folder', async () => {
    expect(await runImport(['--data', '/nonexistent/chat'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--redis is required') });
    expect(await runImport(['--data', '/nonexistent/chat', '--redis', 'redis://127.0.0.1:1'])).toMatchObject({
      code: 1, stderr: "chat-server import-history: no history database at '/nonexistent/chat/chat.db'\n",
    });
    expect(await runImport(['--redis', 'redis://127.0.0.1:1', '--batch', '0'])).toMatchObject({ code: 2, stderr: expect.stringContaining("--batch must be an integer from 1 to 10000, not '0'") });
  }, 30_000);
});
