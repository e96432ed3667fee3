/**
 * Store faults are seen, not hidden: a database deleted or replaced while running stops the acks (INTERNAL,
 * /healthz 503) and the next start refuses to hand out seqs again; a data folder the server cannot write
 * stops it at start-up; a damaged write-ahead log is reported. Real files, real mounts, real processes.
 */
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { JsonClient } from '../helpers/clients.js';
import { historyStore, startInProcess, type InProcessServer } from '../helpers/in-process.js';
import { makeTempDir, removeDir, SERVER_MAIN, startServer } from '../helpers/server.js';
import { canMount, mountTmpfs, remountReadOnly, unmount } from '../helpers/mounts.js';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) removeDir(d); });

function tempDir(): string {
  const d = makeTempDir('chat-faults-');
  dirs.push(d);
  return d;
}

const GONE = 'history database was deleted or replaced; messages cannot be stored';

async function healthz(s: InProcessServer): Promise<{ code: number; body: { status: string; problems: string[]; store: { database: string } } }> {
  const res = await s.admin('/healthz');
  return { code: res.status, body: (await res.json()) as never };
}

function removeDatabase(dir: string): void {
  for (const f of ['chat.db', 'chat.db-wal', 'chat.db-shm']) rmSync(path.join(dir, f), { force: true });
}

describe('the database deleted while the server runs', () => {
  let s: InProcessServer | null = null;
  afterEach(async () => { await s?.server.stop(); s = null; });

  it('the very next message is refused with INTERNAL, never acked into the deleted file', async () => {
    const dir = tempDir();
    s = await startInProcess({ dataDir: dir });
    // One line at start-up says what the write-ahead log held (a fresh folder: nothing).
    expect(s.logs.find((r) => r.msg === 'history database opened')).toMatchObject({
      file: path.join(dir, 'chat.db'), walBytes: 0, walFrames: 0, walCheckpointed: 0,
    });
    const a = await JsonClient.registered('ws', s.wsUrl, 'early');
    const b = await JsonClient.registered('tcp', s.tcpPort, 'bystander');
    a.send({ type: 'say', room: '#lobby', text: 'kept', ref: 'k' });
    await a.next('ack');
    removeDatabase(dir);
    // At once, before any periodic check could have run: the writer checks the file before each commit.
    a.send({ type: 'say', room: '#lobby', text: 'into the void?', ref: 'v' });
    expect(await a.error('INTERNAL')).toMatchObject({ ref: 'v', message: `the message could not be stored, so it was not sent: ${GONE}` });
    expect(a.received.filter((m) => m.type === 'ack')).toHaveLength(1);
    expect(b.received.filter((m) => m.type === 'message').map((m) => m.type === 'message' && m.text)).toEqual(['kept']);
    const h = await healthz(s);
    expect(h.code).toBe(503);
    expect(h.body.problems).toContain('history database: chat.db was deleted');
    // Topics are written to the same file, and refused the same way.
    a.send({ type: 'topic', room: '#lobby', topic: 'lost', ref: 't' });
    expect(await a.error('INTERNAL')).toMatchObject({ ref: 't' });
    expect(s.logs.some((r) => r.msg === 'history database was deleted or replaced; refusing messages until restarted' && r.detail === 'chat.db was deleted')).toBe(true);
    a.close();
    b.close();
  });

  it('is noticed without any message: /healthz turns 503 and names the file', async () => {
    const dir = tempDir();
    s = await startInProcess({ dataDir: dir });
    expect((await healthz(s)).code).toBe(200);
    removeDatabase(dir);
    await expect.poll(async () => (await healthz(s!)).code, { timeout: 10_000, interval: 100 }).toBe(503);
    expect((await healthz(s)).body).toMatchObject({ status: 'unavailable', store: { database: 'chat.db was deleted' } });
    const a = await JsonClient.registered('ws', s.wsUrl, 'late');
    a.send({ type: 'say', room: '#lobby', text: 'refused', ref: 'r' });
    expect(await a.error('INTERNAL')).toMatchObject({ ref: 'r', message: `the message could not be stored, so it was not sent: ${GONE}` });
    a.close();
  });

  it('the next start refuses to begin a new history whose seqs clients have already seen, until told to', async () => {
    const dir = tempDir();
    s = await startInProcess({ dataDir: dir });
    const a = await JsonClient.registered('ws', s.wsUrl, 'seqs');
    for (const ref of ['1', '2', '3']) {
      a.send({ type: 'say', room: '#lobby', text: `m${ref}`, ref });
      await a.next('ack');
    }
    a.close();
    removeDatabase(dir);
    await s.server.stop();
    s = null;
    const id = readFileSync(path.join(dir, 'history-id'), 'utf8').trim();
    await expect(startInProcess({ dataDir: dir })).rejects.toThrow(
      `history database '${path.join(dir, 'chat.db')}' is missing, but this folder held history ${id}: starting would hand out `
      + `seqs clients have already seen. Restore the database, or delete '${path.join(dir, 'history-id')}' to start a new, empty history`,
    );
    // Refusing created nothing, so a second try refuses the same way.
    expect(readdirSync(dir)).toEqual(['history-id']);
    // The operator chooses a new history: seqs start again, under a new id.
    rmSync(path.join(dir, 'history-id'));
    s = await startInProcess({ dataDir: dir });
    const c = await JsonClient.registered('ws', s.wsUrl, 'fresh');
    c.send({ type: 'say', room: '#lobby', text: 'new history', ref: 'n' });
    expect(await c.next('ack')).toMatchObject({ seq: 1 });
    expect(readFileSync(path.join(dir, 'history-id'), 'utf8').trim()).not.toBe(id);
    c.close();
  });
});

describe('the database replaced while the server runs', () => {
  it('is refused at the next message, and the next start refuses the foreign database', async () => {
    const dir = tempDir();
    const s = await startInProcess({ dataDir: dir });
    try {
      const a = await JsonClient.registered('ws', s.wsUrl, 'replaced');
      // Another history's database, moved over ours (as a careless restore would).
      const otherDir = tempDir();
      const { HistoryStore } = await historyStore();
      const other = new HistoryStore(otherDir);
      const otherId = other.historyId;
      other.close();
      renameSync(path.join(otherDir, 'chat.db'), path.join(dir, 'chat.db'));
      a.send({ type: 'say', room: '#lobby', text: 'where to?', ref: 'w' });
      expect(await a.error('INTERNAL')).toMatchObject({ ref: 'w', message: `the message could not be stored, so it was not sent: ${GONE}` });
      const h = await healthz(s);
      expect(h.code).toBe(503);
      expect(h.body.store.database).toBe('chat.db was replaced');
      a.close();
      await s.server.stop();
      // SQLite leaves our -wal and -shm beside the foreign chat.db, and would replay our log into it.
      expect(readdirSync(dir).filter((f) => f.startsWith('chat.db')).map((f) => f.replace(/orphaned-.*/, 'orphaned-T')).sort())
        .toEqual(['chat.db', 'chat.db-shm.orphaned-T', 'chat.db-wal.orphaned-T']);
      expect(s.logs.some((r) => r.msg === "set aside the deleted or replaced database's write-ahead log")).toBe(true);
      const id = readFileSync(path.join(dir, 'history-id'), 'utf8').trim();
      await expect(startInProcess({ dataDir: dir })).rejects.toThrow(
        `history database '${path.join(dir, 'chat.db')}' holds history ${otherId}, but this folder held history ${id}`,
      );
    } finally {
      await s.server.stop();
    }
  });
});

interface Ran { code: number | null; stdout: string; stderr: string }

/** Runs the built server to its exit (SIGKILL after 10 s, should it start after all). */
function runServer(dataDir: string, ids: { uid: number; gid: number } | null = null): Promise<Ran> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [
      SERVER_MAIN, '--host', '127.0.0.1', '--port', '0', '--tcp-port', '0', '--admin-port', '0', '--data', dataDir, '--log-level', 'warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'], ...(ids ?? {}) });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    proc.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A data folder with history in it, left as a crash leaves it (chat.db with its -wal and -shm). */
async function crashedFolder(dir: string): Promise<void> {
  const server = await startServer({ dataDir: dir });
  const a = await JsonClient.registered('ws', server.wsUrl, 'before');
  a.send({ type: 'say', room: '#lobby', text: 'stored before', ref: 'b' });
  await a.next('ack');
  a.close();
  await server.stop('SIGKILL');
  expect(existsSync(path.join(dir, 'chat.db-wal'))).toBe(true);
}

describe('start-up on a data folder the server cannot write', () => {
  it.skipIf(!canMount)('a read-only mount: exits 1 saying it cannot write the folder (SQLite would open it read-only)', async () => {
    const dir = mountTmpfs(8);
    try {
      await crashedFolder(dir);
      remountReadOnly(dir);
      const r = await runServer(dir);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`chat-server: cannot write data folder '${dir}': attempt to write a readonly database\n`);
      expect(r.code).toBe(1);
    } finally {
      unmount(dir);
    }
  });

  it('a folder and files without write permission: exits 1 saying it cannot write the folder', async () => {
    const dir = tempDir();
    await crashedFolder(dir);
    // Root writes anywhere, so as root the server runs as nobody, owning the folder as it would in production.
    const asRoot = process.getuid?.() === 0;
    const ids = asRoot ? { uid: 65534, gid: 65534 } : null;
    const files = readdirSync(dir).map((f) => path.join(dir, f));
    if (ids) for (const f of [dir, ...files]) chownSync(f, ids.uid, ids.gid);
    for (const f of files) chmodSync(f, 0o444);
    chmodSync(dir, 0o555);
    try {
      const r = await runServer(dir, ids);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^chat-server: cannot write data folder '${dir}': attempt to write a readonly database\\n$`));
      expect(r.code).toBe(1);
    } finally {
      chmodSync(dir, 0o755);
    }
  });
});

describe('a damaged write-ahead log', () => {
  it('is reported at start-up: SQLite drops it, and the log says it held something', async () => {
    const dir = tempDir();
    // A clean stop first, so the history id is in chat.db itself, not only in the log we are about to spoil.
    const first = await startServer({ dataDir: dir });
    expect(await first.stop()).toBe(0);
    await crashedFolder(dir);
    const wal = path.join(dir, 'chat.db-wal');
    const size = statSync(wal).size;
    expect(size).toBeGreaterThan(0);
    writeFileSync(wal, Buffer.alloc(size, 0x5a));
    const again = await startServer({ dataDir: dir });
    try {
      await expect.poll(() => again.output(), { timeout: 5000 }).toContain('"msg":"the write-ahead log held bytes but no valid commit; whatever it held was discarded"');
      expect(again.output()).toContain(`"walBytes":${size}`);
    } finally {
      await again.stop();
    }
  });
});
