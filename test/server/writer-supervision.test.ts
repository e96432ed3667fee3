/**
 * The history writer thread is supervised: when it dies, its senders get INTERNAL at once (never silence),
 * /healthz says 503, later messages fail fast until a new writer is up, and then messages flow again.
 * A commit that hangs is failed after the commit timeout. Real worker threads, real SQLite files.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { JsonClient } from '../helpers/clients.js';
import { capturingLogger, historyStore, historyWriter, startInProcess, type InProcessServer } from '../helpers/in-process.js';
import { makeTempDir, removeDir } from '../helpers/server.js';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) removeDir(d); });

function tempDir(): string {
  const d = makeTempDir('chat-writer-');
  dirs.push(d);
  return d;
}

interface Health {
  status: string;
  problems: string[];
  store: { writer: string; writerRestarts: number; database: string; lastError: { message: string; ageSeconds: number } | null };
}

async function health(s: InProcessServer): Promise<{ code: number; body: Health }> {
  const res = await fetch(`http://127.0.0.1:${s.server.adminPort}/healthz`);
  return { code: res.status, body: (await res.json()) as Health };
}

async function metric(s: InProcessServer, name: string): Promise<number> {
  const text = await (await s.admin('/metrics')).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`metric ${name} missing`);
  return Number(m[1]);
}

describe('a server whose history writer thread dies', () => {
  let s: InProcessServer | null = null;
  afterEach(async () => { await s?.server.stop(); s = null; });

  it('answers INTERNAL at once, reports 503 while it is down, restarts it and stores messages again', async () => {
    // A first restart delay long enough to look at the server while the writer is down.
    s = await startInProcess({ dataDir: tempDir(), internal: { writerRestartMinMs: 1500 } });
    const a = await JsonClient.registered('ws', s.wsUrl, 'sayer');
    const b = await JsonClient.registered('tcp', s.tcpPort, 'hearer');
    a.send({ type: 'say', room: '#lobby', text: 'before', ref: 'r1' });
    await a.next('ack');
    await b.next('message');

    await s.server.faults.killHistoryWriter();
    a.send({ type: 'say', room: '#lobby', text: 'while down', ref: 'r2' });
    const refused = await a.error('INTERNAL');
    expect(refused).toMatchObject({ ref: 'r2', message: 'the message could not be stored, so it was not sent: the history writer is down and restarting' });
    const down = await health(s);
    expect(down.code).toBe(503);
    expect(down.body.status).toBe('unavailable');
    expect(down.body.problems).toContain('history writer is down');
    expect(down.body.store).toMatchObject({ writer: 'down', writerRestarts: 0, database: 'present' });
    expect(down.body.store.lastError?.message).toBe('the history writer stopped (exit code 1)');
    expect(await metric(s, 'chat_history_writable')).toBe(0);
    expect(await metric(s, 'chat_history_commit_failures_total')).toBeGreaterThanOrEqual(1);
    expect(s.logs.some((r) => r.msg === 'history writer stopped; restarting it' && r.restartInMs === 1500)).toBe(true);

    await expect.poll(async () => (await health(s!)).code, { timeout: 10_000, interval: 100 }).toBe(200);
    const up = await health(s);
    expect(up.body).toMatchObject({ status: 'ok', problems: [], store: { writer: 'up', writerRestarts: 1 } });
    a.send({ type: 'say', room: '#lobby', text: 'after', ref: 'r3' });
    expect(await a.next('ack')).toMatchObject({ ref: 'r3' });
    expect(await b.next('message')).toMatchObject({ text: 'after' });
    // Nobody saw the refused message, and history has exactly what was delivered.
    expect(b.received.filter((m) => m.type === 'message').map((m) => m.type === 'message' && m.text)).toEqual(['before', 'after']);
    a.send({ type: 'history', room: '#lobby' });
    const page = await a.next('history');
    expect(page.type === 'history' && page.messages.map((m) => m.text)).toEqual(['before', 'after']);
    a.close();
    b.close();
  });

  it('backs off: each death before a good commit doubles the delay, and a good commit resets it', async () => {
    s = await startInProcess({ dataDir: tempDir(), internal: { writerRestartMinMs: 40 } });
    const delays = () => s!.logs.filter((r) => r.msg === 'history writer stopped; restarting it').map((r) => r.restartInMs);
    const restarted = async (n: number) => {
      await expect.poll(async () => (await health(s!)).body.store, { timeout: 10_000, interval: 100 })
        .toMatchObject({ writer: 'up', writerRestarts: n });
    };
    await s.server.faults.killHistoryWriter();
    await restarted(1);
    await s.server.faults.killHistoryWriter();
    await restarted(2);
    expect(delays()).toEqual([40, 80]);
    const a = await JsonClient.registered('ws', s.wsUrl, 'resetter');
    a.send({ type: 'say', room: '#lobby', text: 'good commit', ref: 'ok' });
    await a.next('ack');
    await s.server.faults.killHistoryWriter();
    await restarted(3);
    expect(delays()).toEqual([40, 80, 40]);
    a.close();
  });
});

describe('HistoryWriter on its own', () => {
  async function openWriter(dir: string, options: { busyTimeoutMs: number; commitTimeoutMs: number }) {
    const { HistoryStore } = await historyStore();
    const { HistoryWriter } = await historyWriter();
    const store = new HistoryStore(dir);
    const { log, records } = capturingLogger();
    const writer = new HistoryWriter(store.file, store.database, log, { ...options, restartMinMs: 20 });
    await writer.start();
    return { store, writer, records };
  }

  const message = (seq: number, text: string) => ({ roomKey: '#r', room: '#r', id: `id${seq}`, seq, from: 'x', text, ts: 1 });

  function storedTexts(dir: string): string[] {
    const db = new Database(path.join(dir, 'chat.db'), { readonly: true });
    try {
      return (db.prepare('SELECT text FROM messages ORDER BY seq').all() as Array<{ text: string }>).map((r) => r.text);
    } finally {
      db.close();
    }
  }

  it('a batch in flight when the worker dies is rejected, and is not stored', async () => {
    const dir = tempDir();
    const { store, writer } = await openWriter(dir, { busyTimeoutMs: 60_000, commitTimeoutMs: 60_000 });
    // Another connection holds the write lock, so the batch is surely in flight inside the worker.
    const other = new Database(path.join(dir, 'chat.db'));
    other.exec('BEGIN IMMEDIATE');
    const pending = writer.append([message(1, 'in flight')]);
    const outcome = pending.then(() => 'stored', (err: Error) => err.message);
    const killed = writer.killWorker();
    other.exec('ROLLBACK');
    other.close();
    await killed;
    expect(await outcome).toBe('the history writer stopped');
    expect(storedTexts(dir)).toEqual([]);
    await writer.close();
    store.close();
  });

  it('a batch that may have been committed by a worker that died is deleted before the next worker takes batches', async () => {
    const dir = tempDir();
    const { store, writer } = await openWriter(dir, { busyTimeoutMs: 60_000, commitTimeoutMs: 60_000 });
    const other = new Database(path.join(dir, 'chat.db'));
    other.exec('BEGIN IMMEDIATE');
    const outcome = writer.append([message(1, 'maybe')]).then(() => 'stored', (err: Error) => err.message);
    const killed = writer.killWorker();
    // Stands for the dying worker's COMMIT that went through: the very row, stored as the worker ends.
    other.prepare("INSERT INTO messages (room_key, seq, id, sender, text, ts, action) VALUES ('#r', 1, 'id1', 'x', 'maybe', 1, 0)").run();
    other.exec('COMMIT');
    other.close();
    await killed;
    expect(await outcome).toBe('the history writer stopped');
    expect(storedTexts(dir)).toEqual(['maybe']);
    await waitUntilUp(writer);
    expect(storedTexts(dir)).toEqual([]);
    expect(await writer.append([message(2, 'next')])).toBeGreaterThan(0);
    expect(storedTexts(dir)).toEqual(['next']);
    await writer.close();
    store.close();
  });

  it('a commit that hangs past the commit timeout is failed, its worker replaced, and later commits work', async () => {
    const dir = tempDir();
    const { store, writer, records } = await openWriter(dir, { busyTimeoutMs: 60_000, commitTimeoutMs: 300 });
    const other = new Database(path.join(dir, 'chat.db'));
    other.exec('BEGIN IMMEDIATE');
    await expect(writer.append([message(1, 'stuck')])).rejects.toThrow('the history commit took longer than 0.3 s');
    expect(writer.status()).toMatchObject({ state: 'down', lastCommit: { ok: false }, lastError: { message: 'the history commit took longer than 0.3 s' } });
    expect(records.some((r) => r.msg === 'history commit timed out; replacing the writer')).toBe(true);
    // While no writer is up, appends fail at once instead of waiting.
    await expect(writer.append([message(2, 'meanwhile')])).rejects.toThrow('the history writer is down and restarting');
    other.exec('ROLLBACK');
    other.close();
    await waitUntilUp(writer);
    expect(await writer.append([message(3, 'later')])).toBeGreaterThan(0);
    expect(storedTexts(dir)).toEqual(['later']);
    expect(writer.status()).toMatchObject({ state: 'up', restarts: 1, lastCommit: { ok: true } });
    await writer.close();
    store.close();
  });
});

async function waitUntilUp(writer: { status(): { state: string } }): Promise<void> {
  await expect.poll(() => writer.status().state, { timeout: 10_000, interval: 20 }).toBe('up');
}
