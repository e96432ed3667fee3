/**
 * A disk that stops answering, for real: the data folder is a small ext4 that the test freezes (fsfreeze),
 * so the writer thread's commit blocks in the kernel. A commit never waits forever: its sender gets
 * INTERNAL after --commit-timeout, the message never shows up in history, and the server recovers when
 * the disk does. And a shutdown that cannot finish draining exits 1 at its deadline, not 0.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { JsonClient } from '../helpers/clients.js';
import { freeze, mountFreezable, thaw } from '../helpers/mounts.js';
import { startServer, type RunningServer } from '../helpers/server.js';

const probe = mountFreezable(16);
probe?.unmount();

let disk: ReturnType<typeof mountFreezable> = null;
let server: RunningServer | null = null;
afterEach(async () => {
  // Whatever happened, the disk thaws first: a process blocked on it cannot even be killed.
  if (disk) thaw(disk.dir);
  await server?.stop('SIGKILL');
  server = null;
  disk?.unmount();
  disk = null;
});

interface Health { status: string; problems: string[]; store: { lastError: { message: string } | null } }

async function healthz(s: RunningServer): Promise<{ code: number; body: Health }> {
  const res = await fetch(`http://127.0.0.1:${s.adminPort}/healthz`);
  return { code: res.status, body: (await res.json()) as Health };
}

describe.skipIf(!probe)('a hung disk', () => {
  it('a commit that hangs is failed after --commit-timeout; the message never appears; the server recovers', async () => {
    disk = mountFreezable(16)!;
    server = await startServer({ dataDir: disk.dir, args: ['--commit-timeout', '1'] });
    const a = await JsonClient.registered('ws', server.wsUrl, 'frozen');
    const b = await JsonClient.registered('tcp', server.tcpPort, 'watcher');
    a.send({ type: 'say', room: '#lobby', text: 'before', ref: 'b' });
    await a.next('ack');

    freeze(disk.dir);
    try {
      a.send({ type: 'say', room: '#lobby', text: 'stuck', ref: 's' });
      expect(await a.error('INTERNAL', 10_000)).toMatchObject({
        ref: 's', message: 'the message could not be stored, so it was not sent: the history commit took longer than 1 s',
      });
      // The stuck writer may yet commit, so no new one starts while it lives: messages fail at once.
      a.send({ type: 'say', room: '#lobby', text: 'meanwhile', ref: 'm' });
      expect(await a.error('INTERNAL')).toMatchObject({ ref: 'm', message: 'the message could not be stored, so it was not sent: the history writer is down and restarting' });
      const h = await healthz(server);
      expect(h.code).toBe(503);
      expect(h.body.problems).toContain('history writer is down');
      expect(h.body.store.lastError?.message).toBe('the history commit took longer than 1 s');
    } finally {
      thaw(disk.dir);
    }

    await expect.poll(async () => (await healthz(server!)).code, { timeout: 15_000, interval: 100 }).toBe(200);
    a.send({ type: 'say', room: '#lobby', text: 'after', ref: 'a' });
    expect(await a.next('ack')).toMatchObject({ ref: 'a' });
    await b.next((m) => m.type === 'message' && m.text === 'after');
    expect(b.received.filter((m) => m.type === 'message').map((m) => m.type === 'message' && m.text)).toEqual(['before', 'after']);
    // Whatever the stuck writer did once the disk thawed, the message its sender was told failed is not kept.
    const reader = await JsonClient.registered('ws', server.wsUrl, 'reader');
    reader.send({ type: 'history', room: '#lobby' });
    const page = await reader.next('history');
    expect(page.type === 'history' && page.messages.map((m) => m.text)).toEqual(['before', 'after']);
    a.close();
    b.close();
    reader.close();
  });

  it('a topic on a hung disk is written off the event loop: others are served meanwhile, and it fails after --commit-timeout', async () => {
    disk = mountFreezable(16)!;
    server = await startServer({ dataDir: disk.dir, args: ['--commit-timeout', '1'] });
    const a = await JsonClient.registered('ws', server.wsUrl, 'setter');
    const b = await JsonClient.registered('tcp', server.tcpPort, 'bystander');
    freeze(disk.dir);
    try {
      a.send({ type: 'topic', room: '#lobby', topic: 'frozen', ref: 't' });
      b.send({ type: 'ping', ref: 'p' });
      expect(await b.next('pong')).toMatchObject({ ref: 'p' });
      expect(await a.error('INTERNAL', 10_000)).toMatchObject({ ref: 't' });
      expect(b.received.some((m) => m.type === 'topic')).toBe(false);
    } finally {
      thaw(disk.dir);
    }
    await expect.poll(async () => (await healthz(server!)).code, { timeout: 15_000, interval: 100 }).toBe(200);
    a.send({ type: 'topic', room: '#lobby', topic: 'thawed', ref: 't2' });
    expect(await b.next('topic')).toMatchObject({ topic: 'thawed' });
    a.close();
    b.close();
  });

  it('SIGTERM while a commit hangs: the shutdown deadline passes and the process exits 1', async () => {
    disk = mountFreezable(16)!;
    server = await startServer({ dataDir: disk.dir, args: ['--commit-timeout', '60'] });
    const a = await JsonClient.registered('tcp', server.tcpPort, 'draining');
    freeze(disk.dir);
    a.send({ type: 'say', room: '#lobby', text: 'never committed', ref: 'n' });
    // Wait until the commit is surely under way: the server has counted the message.
    await expect.poll(async () => {
      const text = await (await fetch(`http://127.0.0.1:${server!.adminPort}/metrics`)).text();
      return /^chat_history_batch_size_count 1$/m.test(text);
    }, { timeout: 5000, interval: 100 }).toBe(true);
    server.proc.kill('SIGTERM');
    await expect.poll(() => server!.output(), { timeout: 15_000, interval: 100 })
      .toContain('"msg":"shutdown deadline passed before draining finished"');
    // The blocked writer thread holds the process until the disk thaws.
    thaw(disk.dir);
    expect(await server.stop()).toBe(1);
    a.close();
  });
});
