/**
 * Room loads and history pages read from SQLite leave the event loop: a supervised reader thread with its
 * own read-only connection answers them. When it dies or hangs, its requesters get INTERNAL saying why
 * (never silence), /healthz says 503, and a new reader takes over. Real worker threads, real SQLite files.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../shared/protocol.js';
import { JsonClient } from '../helpers/clients.js';
import { capturingLogger, fromDist, historyStore, historyWriter, startInProcess, type InProcessServer } from '../helpers/in-process.js';
import { makeTempDir, removeDir } from '../helpers/server.js';

type ReaderModule = typeof import('../../server/store/history-reader.js');
type EngineModule = typeof import('../../server/engine/local-engine.js');
type EngineEvent = import('../../server/engine/engine.js').EngineEvent;

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) removeDir(d); });

function tempDir(): string {
  const d = makeTempDir('chat-reader-');
  dirs.push(d);
  return d;
}

interface Health { status: string; problems: string[]; store: { reader: string; readerRestarts: number } }

async function health(s: InProcessServer): Promise<{ code: number; body: Health }> {
  const res = await s.admin('/healthz');
  return { code: res.status, body: (await res.json()) as Health };
}

/** Three messages in #deep, which nobody is in any more: its history can only come from the store. */
async function storedRoom(s: InProcessServer): Promise<void> {
  const a = await JsonClient.registered('tcp', s.tcpPort, 'archivist');
  a.send({ type: 'join', room: '#deep' });
  await a.next((m) => m.type === 'who' && m.room === '#deep');
  for (const text of ['one', 'two', 'three']) a.send({ type: 'say', room: '#deep', text, ref: text });
  await a.next((m) => m.type === 'ack' && m.ref === 'three');
  a.send({ type: 'part', room: '#deep' });
  await a.next((m) => m.type === 'left' && m.room === '#deep');
  a.close();
}

const texts = (m: { type: string; messages?: ChatMessage[] }) => m.messages?.map((x) => x.text);

describe('a server whose history reader thread dies or hangs', () => {
  let s: InProcessServer | null = null;
  afterEach(async () => { await s?.server.stop(); s = null; });

  it('answers INTERNAL saying why while it is down, reports 503, restarts it and reads again', async () => {
    s = await startInProcess({ dataDir: tempDir(), internal: { readerRestartMinMs: 1500 } });
    await storedRoom(s);
    const a = await JsonClient.registered('ws', s.wsUrl, 'pager');
    a.send({ type: 'history', room: '#deep', ref: 'h0' });
    expect(texts(await a.next('history'))).toEqual(['one', 'two', 'three']);

    await s.server.faults.killHistoryReader();
    a.send({ type: 'history', room: '#deep', ref: 'h1' });
    expect(await a.error('INTERNAL')).toMatchObject({ ref: 'h1', message: 'the history reader is down and restarting' });
    // A room that is not served yet is loaded by the reader too.
    a.send({ type: 'join', room: '#deep', ref: 'j1' });
    expect(await a.error('INTERNAL')).toMatchObject({ ref: 'j1', message: 'the history reader is down and restarting' });
    const down = await health(s);
    expect(down.code).toBe(503);
    expect(down.body.problems).toContain('history reader is down');
    expect(down.body.store).toMatchObject({ reader: 'down', readerRestarts: 0 });
    expect(s.logs.some((r) => r.msg === 'history reader stopped; restarting it' && r.restartInMs === 1500)).toBe(true);
    // Writing does not need the reader, and the connection keeps working.
    a.send({ type: 'say', room: '#lobby', text: 'still here', ref: 's1' });
    expect(await a.next('ack')).toMatchObject({ ref: 's1' });

    await expect.poll(async () => (await health(s!)).code, { timeout: 10_000, interval: 100 }).toBe(200);
    expect((await health(s)).body.store).toMatchObject({ reader: 'up', readerRestarts: 1 });
    a.send({ type: 'history', room: '#deep', ref: 'h2' });
    expect(texts(await a.next('history'))).toEqual(['one', 'two', 'three']);
    a.send({ type: 'join', room: '#deep', ref: 'j2' });
    expect(texts(await a.next((m) => m.type === 'history' && m.room === '#deep'))).toEqual(['one', 'two', 'three']);
    a.close();
  });

  it('a read that hangs past --commit-timeout fails with INTERNAL, the event loop serves others meanwhile, and a new reader takes over', async () => {
    s = await startInProcess({ dataDir: tempDir(), args: ['--commit-timeout', '1'] });
    await storedRoom(s);
    const a = await JsonClient.registered('ws', s.wsUrl, 'pager');
    const b = await JsonClient.registered('tcp', s.tcpPort, 'bystander');
    s.server.faults.hangHistoryReader(60_000);
    a.send({ type: 'history', room: '#deep', ref: 'h1' });
    // While the read hangs in its thread, everyone else is answered.
    b.send({ type: 'ping', ref: 'p' });
    expect(await b.next('pong')).toMatchObject({ ref: 'p' });
    expect(await a.error('INTERNAL', 10_000)).toMatchObject({ ref: 'h1', message: 'reading history took longer than 1 s' });
    expect(s.logs.some((r) => r.msg === 'history read timed out; replacing the reader')).toBe(true);

    await expect.poll(async () => (await health(s!)).body.store.readerRestarts, { timeout: 10_000, interval: 100 }).toBe(1);
    await expect.poll(async () => (await health(s!)).code, { timeout: 10_000, interval: 100 }).toBe(200);
    a.send({ type: 'history', room: '#deep', ref: 'h2' });
    expect(texts(await a.next('history'))).toEqual(['one', 'two', 'three']);
    a.close();
    b.close();
  });
});

describe('a topic is written by the history writer thread', () => {
  let s: InProcessServer | null = null;
  afterEach(async () => { await s?.server.stop(); s = null; });

  it('is refused with INTERNAL while the writer is down, nobody sees it, and it is stored once the writer is back', async () => {
    s = await startInProcess({ dataDir: tempDir(), internal: { writerRestartMinMs: 1500 } });
    const a = await JsonClient.registered('ws', s.wsUrl, 'setter');
    const b = await JsonClient.registered('tcp', s.tcpPort, 'watcher');
    await s.server.faults.killHistoryWriter();
    a.send({ type: 'topic', room: '#lobby', topic: 'lost', ref: 't1' });
    expect(await a.error('INTERNAL')).toMatchObject({ ref: 't1' });
    await expect.poll(async () => (await health(s!)).code, { timeout: 10_000, interval: 100 }).toBe(200);
    a.send({ type: 'topic', room: '#lobby', topic: 'kept', ref: 't2' });
    expect(await b.next('topic')).toMatchObject({ room: '#lobby', topic: 'kept', by: 'setter' });
    expect(b.received.filter((m) => m.type === 'topic')).toHaveLength(1);
    a.close();
    b.close();
    const dir = s.dataDir;
    await s.server.stop();
    s = null;
    const db = new Database(path.join(dir, 'chat.db'), { readonly: true });
    expect(db.prepare("SELECT topic, topic_by FROM rooms WHERE room_key = '#lobby'").get()).toEqual({ topic: 'kept', topic_by: 'setter' });
    db.close();
  });
});

describe('HistoryReader on its own', () => {
  async function openReader(dir: string, timeoutMs = 60_000) {
    const { HistoryStore } = await historyStore();
    const { HistoryReader } = await fromDist<ReaderModule>('server/store/history-reader.js');
    const store = new HistoryStore(dir);
    const { log, records } = capturingLogger();
    const reader = new HistoryReader(store.file, log, { timeoutMs, restartMinMs: 20 });
    await reader.start();
    return { store, reader, records };
  }

  it('a read in flight when the worker dies is rejected, and the next worker answers', async () => {
    const { store, reader } = await openReader(tempDir());
    reader.hangWorker(60_000);
    const outcome = reader.lastSeq('#r').then(String, (err: Error) => err.message);
    await reader.killWorker();
    expect(await outcome).toBe('the history reader stopped; try again');
    await expect.poll(() => reader.status().state, { timeout: 10_000, interval: 20 }).toBe('up');
    expect(await reader.lastSeq('#r')).toBe(0);
    await reader.close();
    store.close();
  });

  it('close ends a worker stuck in a read, and fails what waits', async () => {
    const { store, reader } = await openReader(tempDir(), 300);
    reader.hangWorker(60_000);
    const outcome = reader.page('#r', '#r', 10, 10).then(() => 'read', (err: Error) => err.message);
    await reader.close();
    expect(await outcome).toBe('the history reader is stopped');
    await expect(reader.lastSeq('#r')).rejects.toThrow('the history reader is stopped');
    expect(reader.status().state).toBe('stopped');
    store.close();
  });
});

describe('LocalEngine room snapshots', () => {
  it('end exactly where the events a node has not applied yet begin, while batches of the room are being committed', async () => {
    const dir = tempDir();
    const { HistoryStore } = await historyStore();
    const { HistoryWriter } = await historyWriter();
    const { HistoryReader } = await fromDist<ReaderModule>('server/store/history-reader.js');
    const { LocalEngine } = await fromDist<EngineModule>('server/engine/local-engine.js');
    const { LocalAccounts } = await fromDist<typeof import('../../server/engine/local-accounts.js')>('server/engine/local-accounts.js');
    const store = new HistoryStore(dir);
    const { log } = capturingLogger();
    const writer = new HistoryWriter(store.file, store.database, log);
    const reader = new HistoryReader(store.file, log, { timeoutMs: 60_000 });
    await writer.start();
    await reader.start();
    const engine = new LocalEngine(writer, reader, store.database, new LocalAccounts(writer, new Map()));
    const emitted: number[] = [];
    await engine.start({
      serves: () => true,
      apply: (e: EngineEvent) => { if (e.kind === 'msg') emitted.push(e.message.seq); },
      flushed: () => {},
      receiveDm: () => ({ outcome: 'no-such-user' }),
      whois: () => null,
      fenced: () => {},
    });
    const say = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ roomKey: '#r', room: '#r', id: `m${from + i}`, from: 'x', text: `${from + i}` }));
    let said = 0;
    const other = new Database(path.join(dir, 'chat.db'), { readonly: true });
    const lastStored = other.prepare("SELECT MAX(seq) AS seq FROM messages WHERE room_key = '#r'").pluck();
    await engine.openRoom('#r', '#r');
    for (let round = 0; round < 40; round++) {
      // A batch on its way to the writer and a room load racing it. Kind 0: the room is served and the
      // batch is committed, but this thread has not heard so yet (it is held here until the row is in the
      // file). Kinds 1 and 2: the room is cold (nobody holds its seqs), and its load or the batch goes
      // first. Kind 3: the room stops being served while its batch is in flight.
      const kind = round % 4;
      if (kind === 1 || kind === 2) engine.closeRoom('#r');
      const callAt = emitted.length;
      const early = kind === 1 ? engine.openRoom('#r', '#r') : null;
      const batch = engine.append(say(3, said));
      said += 3;
      if (kind === 0) {
        const giveUp = Date.now() + 20_000;
        while (lastStored.get() !== said && Date.now() < giveUp) { /* the writer thread commits meanwhile */ }
      }
      if (kind === 3) engine.closeRoom('#r');
      const snapshot = await (early ?? engine.openRoom('#r', '#r'));
      // Nothing committed but not yet emitted is in it: its events are still to come.
      expect(emitted.at(-1) ?? 0).toBeGreaterThanOrEqual(snapshot.seq);
      if (kind === 0) expect(snapshot.seq).toBe(said - 3);
      await batch;
      const recent = snapshot.recent.messages.map((m) => m.seq);
      // The snapshot holds nothing past its seq, and its newest message is that seq.
      expect(recent.at(-1) ?? 0).toBe(snapshot.seq);
      expect(recent).toEqual(Array.from({ length: recent.length }, (_, i) => snapshot.seq - recent.length + 1 + i));
      // Every message after the snapshot is an event still to come: none is lost, and none was emitted
      // before the load was asked for (it would be in neither).
      expect(emitted.slice(callAt).filter((seq) => seq > snapshot.seq)).toEqual(Array.from({ length: said - snapshot.seq }, (_, i) => snapshot.seq + 1 + i));
      expect(emitted.slice(0, callAt).every((seq) => seq <= snapshot.seq)).toBe(true);
    }
    other.close();
    // A cold room's seqs are read from the store: the next message continues the room.
    engine.closeRoom('#r');
    await engine.append(say(1, said));
    expect(emitted.at(-1)).toBe(said + 1);
    await reader.close();
    await writer.close();
    store.close();
  });
});

