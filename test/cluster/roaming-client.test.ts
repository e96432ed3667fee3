/**
 * The terminal client's own connection code (ChatClient with its GapFiller), unchanged, behind a
 * load balancer: its node dies, it reconnects to another node and catches up by seq with no gap and no
 * duplicate.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseServerAddress, type ServerAddress } from '../../client/net/address.js';
import { ChatClient } from '../../client/net/chat-client.js';
import { Store } from '../../client/state/store.js';
import type { ChatLine } from '../../client/state/types.js';
import { feedStore } from '../../client/wiring.js';
import { waitFor } from '../client/helpers.js';
import { JsonClient } from '../helpers/clients.js';
import { startCluster } from '../helpers/cluster.js';
import { startRedis, type RunningRedis } from '../helpers/redis.js';
import type { RunningServer } from '../helpers/server.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

let redis: RunningRedis;
let nodes: RunningServer[] = [];
let proxy: TcpProxy;

beforeAll(async () => {
  redis = await startRedis();
  nodes = await startCluster(redis.url, 2, { args: ['--rate-limit', '0', '--room-rate', '0'] });
  proxy = await startTcpProxy(nodes[0]!.tcpPort);
});

afterAll(async () => {
  await proxy?.close();
  await Promise.all(nodes.map((n) => n.stop('SIGKILL')));
  await redis?.stop();
});

function address(text: string): ServerAddress {
  const a = parseServerAddress(text);
  if (typeof a === 'string') throw new Error(a);
  return a;
}

const seqsIn = (store: Store, room: string) => (store.state.views.find((v) => v.id === room)?.lines ?? [])
  .filter((l): l is ChatLine => l.kind === 'chat').map((l) => l.seq!);

it('a client whose node is killed reconnects through the balancer to another node and fills the gap by seq', async () => {
  const [a, b] = nodes as [RunningServer, RunningServer];
  const chat = new ChatClient({ address: address(`tcp://127.0.0.1:${proxy.port}`), nick: 'roamer', backoff: { baseMs: 100, maxMs: 400 }, pingIntervalMs: 500, autojoin: ['#lb'] });
  const store = new Store(chat.server, 'roamer');
  feedStore(chat, store);
  chat.start();
  try {
    const talker = await JsonClient.registered('tcp', b.tcpPort, 'talker');
    talker.send({ type: 'join', room: '#lb' });
    await talker.next((m) => m.type === 'who' && m.room === '#lb');
    await waitFor('roamer in #lb', () => store.state.views.some((v) => v.id === '#lb') && chat.connectionState === 'online', 15_000);
    for (let i = 1; i <= 20; i++) talker.send({ type: 'say', room: '#lb', text: `before ${i}`, ref: `b${i}` });
    await waitFor('roamer sees 20', () => seqsIn(store, '#lb').length === 20, 15_000);

    proxy.retarget(b.tcpPort);
    await a.stop('SIGKILL');
    // 260 messages it never sees live: more than a join replay and a history page.
    for (let i = 1; i <= 260; i++) talker.send({ type: 'say', room: '#lb', text: `gap ${i}`, ref: `g${i}` });
    await waitFor('gap acked', () => talker.received.filter((m) => m.type === 'ack').length === 280, 20_000);
    // Its old nick is held until the dead node's lease lapses; the user would pick another meanwhile.
    await waitFor('back online', () => {
      if (store.state.nickPrompt) chat.register('roamer2');
      return chat.connectionState === 'online';
    }, 20_000);
    talker.send({ type: 'say', room: '#lb', text: 'after', ref: 'after' });
    await waitFor(() => `no gap: ${seqsIn(store, '#lb').length}`, () => seqsIn(store, '#lb').length === 281, 20_000);
    const seqs = seqsIn(store, '#lb');
    expect(seqs).toEqual(Array.from({ length: 281 }, (_, i) => seqs[0]! + i));
    talker.close();
  } finally {
    chat.stop();
  }
}, 90_000);
