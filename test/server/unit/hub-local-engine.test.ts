/**
 * The hub from source over the real single-node engine (SQLite and its writer thread, from dist): the
 * events come in process, so a request's event has been applied by the time it settles, and messages
 * come back once committed. Real timers: the writer is another thread.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Engine } from '../../../server/engine/engine.js';
import type { OpenedEngine } from '../../../server/engine/opened.js';
import { capturingLogger, fromDist } from '../../helpers/in-process.js';
import { makeTempDir } from '../../helpers/server.js';
import { TestHub, type FakeClient } from './harness.js';

type OpenLocal = typeof import('../../../server/engine/open-local.js');

const opened: OpenedEngine[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
});

async function localHub(dataDir: string): Promise<TestHub<Engine>> {
  const { openLocalEngine } = await fromDist<OpenLocal>('server/engine/open-local.js');
  const o = await openLocalEngine({ data: dataDir, commitTimeoutMs: 10_000 }, capturingLogger().log);
  opened.push(o);
  const t = new TestHub<Engine>(o.engine);
  await t.start();
  return t;
}

async function registered(t: TestHub<Engine>, nick: string): Promise<FakeClient> {
  const client = t.connect();
  client.send({ type: 'hello', nick });
  await vi.waitFor(() => expect(client.of('who')).toHaveLength(1));
  return client;
}

describe('the hub over LocalEngine', () => {
  it('answers a join with no bus to wait for, and the next request sees it', async () => {
    const t = await localHub(makeTempDir());
    const alice = await registered(t, 'alice');
    alice.clear();
    alice.send({ type: 'join', room: '#den' });
    alice.send({ type: 'say', room: '#den', text: 'first', ref: 's1' });
    await vi.waitFor(() => expect(alice.of('ack')).toHaveLength(1));
    expect(alice.types()).toEqual(['joined', 'history', 'who', 'message', 'ack']);
    expect(alice.of('message')[0]).toMatchObject({ room: '#den', seq: 1, text: 'first' });
  });

  it('delivers messages once committed, in seq order, acked after each', async () => {
    const t = await localHub(makeTempDir());
    const alice = await registered(t, 'alice');
    const bob = await registered(t, 'bob');
    alice.clear();
    bob.clear();
    for (let i = 1; i <= 5; i++) alice.send({ type: 'say', room: '#lobby', text: `m${i}`, ref: `r${i}` });
    await vi.waitFor(() => expect(alice.of('ack')).toHaveLength(5));
    expect(alice.got.map((m) => (m.type === 'message' ? m.seq : m.type === 'ack' ? m.ref : m.type)))
      .toEqual([1, 'r1', 2, 'r2', 3, 'r3', 4, 'r4', 5, 'r5']);
    expect(bob.of('message').map((m) => m.text)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('a room opened again after a restart continues its seqs, and a joiner gets its history from SQLite', async () => {
    const dataDir = makeTempDir();
    const first = await localHub(dataDir);
    const alice = await registered(first, 'alice');
    alice.send({ type: 'join', room: '#den' });
    for (const text of ['one', 'two']) alice.send({ type: 'say', room: '#den', text, ref: text });
    await vi.waitFor(() => expect(alice.of('ack')).toHaveLength(2));
    await first.hub.shutdown('restart');
    await opened.shift()!.close();

    const second = await localHub(dataDir);
    const bob = await registered(second, 'bob');
    bob.send({ type: 'join', room: '#den' });
    bob.send({ type: 'say', room: '#den', text: 'three', ref: 'three' });
    await vi.waitFor(() => expect(bob.of('ack')).toHaveLength(1));
    const history = bob.of('history').find((h) => h.room === '#den')!;
    expect(history.messages.map((m) => [m.seq, m.text])).toEqual([[1, 'one'], [2, 'two']]);
    expect(bob.of('message')).toMatchObject([{ seq: 3, text: 'three' }]);
  });
});
