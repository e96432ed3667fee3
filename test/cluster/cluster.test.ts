/**
 * Cluster mode end to end: real server processes sharing one real redis-server, clients of one room
 * spread over the nodes. The same promises as one node: one order per room, exactly once, acks after
 * the message, history from any node, unique nicks, and failures handled.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage, ServerMessage } from '../../shared/protocol.js';
import { fullHistory, JsonClient } from '../helpers/clients.js';
import { startCluster, startNode } from '../helpers/cluster.js';
import { startRedis, type RunningRedis } from '../helpers/redis.js';
import type { RunningServer } from '../helpers/server.js';

let redis: RunningRedis;
const running: RunningServer[] = [];
const clients: JsonClient[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(running.splice(0).map((s) => s.stop('SIGKILL')));
});

afterAll(async () => {
  await redis?.stop();
});

async function cluster(n: number, args: string[] = []): Promise<RunningServer[]> {
  const nodes = await startCluster(redis.url, n, { args });
  running.push(...nodes);
  return nodes;
}

async function client(node: RunningServer, nick: string, kind: 'ws' | 'tcp' = 'tcp'): Promise<JsonClient> {
  const c = await JsonClient.registered(kind, kind === 'ws' ? node.wsUrl : node.tcpPort, nick);
  clients.push(c);
  return c;
}

async function joinAll(room: string, members: JsonClient[]): Promise<void> {
  for (const m of members) {
    m.send({ type: 'join', room });
    await m.next((x) => x.type === 'history' && x.room === room);
    await m.next((x) => x.type === 'who' && x.room === room);
  }
}

const messagesOf = (c: JsonClient, room: string) =>
  c.received.filter((m): m is ServerMessage & { type: 'message' } => m.type === 'message' && m.room === room);

describe('cluster: one room over three nodes', () => {
  it('every member on every node sees one order, each message once, and each ack after its message', async () => {
    const nodes = await cluster(3);
    const members: JsonClient[] = [];
    for (let i = 0; i < 6; i++) members.push(await client(nodes[i % 3]!, `m${i}`, i % 2 ? 'ws' : 'tcp'));
    await joinAll('#o', members);
    const perSender = 60;
    for (const [i, m] of members.entries()) {
      for (let k = 0; k < perSender; k++) m.send({ type: 'say', room: '#o', text: `${i}:${k}`, ref: `r${k}` });
    }
    const total = perSender * members.length;
    for (const m of members) await expect.poll(() => messagesOf(m, '#o').length, { timeout: 30_000 }).toBe(total);
    const order = messagesOf(members[0]!, '#o').map((m) => `${m.seq}/${m.id}`);
    for (const m of members) expect(messagesOf(m, '#o').map((x) => `${x.seq}/${x.id}`)).toEqual(order);
    const seqs = messagesOf(members[0]!, '#o').map((m) => m.seq);
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => seqs[0]! + i));
    for (const m of members) {
      await expect.poll(() => m.received.filter((x) => x.type === 'ack').length, { timeout: 30_000 }).toBe(perSender);
      // Each ack comes after the message it acknowledges, with the same seq.
      for (const [at, ack] of m.received.entries()) {
        if (ack.type !== 'ack') continue;
        const delivered = m.received.findIndex((x) => x.type === 'message' && x.id === ack.id);
        expect(delivered).toBeGreaterThanOrEqual(0);
        expect(delivered).toBeLessThan(at);
        expect((m.received[delivered] as ChatMessage).seq).toBe(ack.seq);
      }
    }
    // Any node serves the same history, with no gap and no duplicate, to a member or not.
    const outsider = await client(nodes[2]!, 'outsider');
    const history = await fullHistory(outsider, '#o');
    expect(history.map((m) => `${m.seq}/${m.id}`)).toEqual(order);
  }, 120_000);

  it('twenty hellos for one nick over three nodes: exactly one welcome', async () => {
    const nodes = await cluster(3);
    const racers = await Promise.all(Array.from({ length: 20 }, (_, i) => JsonClient.tcp(nodes[i % 3]!.tcpPort)));
    clients.push(...racers);
    for (const r of racers) r.send({ type: 'hello', nick: 'Racer' });
    const outcomes = await Promise.all(racers.map((r) => r.next((m) => m.type === 'welcome' || m.type === 'error', 15_000)));
    expect(outcomes.filter((m) => m.type === 'welcome')).toHaveLength(1);
    expect(outcomes.filter((m) => m.type === 'error' && m.code === 'NICK_TAKEN')).toHaveLength(19);
    // A rename race for one free nick: one wins, the rest are refused.
    const renamers = racers.filter((_, i) => outcomes[i]!.type === 'error').slice(0, 6);
    for (const [i, r] of renamers.entries()) r.send({ type: 'hello', nick: `r${i}` });
    for (const r of renamers) await r.next('welcome');
    for (const r of renamers) r.send({ type: 'nick', nick: 'Prize' });
    // Everyone in #lobby sees the winner's rename: each renamer looks for its own answer.
    const renamed = await Promise.all(renamers.map((r, i) => r.next((m) => (m.type === 'nick' && m.old === `r${i}`) || m.type === 'error', 15_000)));
    expect(renamed.filter((m) => m.type === 'nick')).toHaveLength(1);
    expect(renamed.filter((m) => m.type === 'error' && m.code === 'NICK_TAKEN')).toHaveLength(5);
  }, 60_000);

  it('DMs, topics, who and rooms work across nodes', async () => {
    const [a, b] = await cluster(2);
    const alice = await client(a!, 'alice');
    const bob = await client(b!, 'bob', 'ws');
    alice.send({ type: 'dm', to: 'BOB', text: 'hi bob', ref: 'd1' });
    const got = await bob.next('dm');
    expect(got).toMatchObject({ type: 'dm', from: 'alice', text: 'hi bob' });
    const copy = await alice.next('dm');
    expect(copy).toMatchObject({ from: 'alice', text: 'hi bob', ref: 'd1' });
    alice.send({ type: 'dm', to: 'nobody', text: 'x', ref: 'd2' });
    expect(await alice.error('NO_SUCH_USER')).toMatchObject({ ref: 'd2' });

    await joinAll('#t', [alice, bob]);
    alice.send({ type: 'topic', room: '#t', topic: 'cluster talk' });
    expect(await bob.next((m) => m.type === 'topic')).toMatchObject({ room: '#t', topic: 'cluster talk', by: 'alice' });
    bob.send({ type: 'who', room: '#t' });
    const who = await bob.next((m) => m.type === 'who' && m.room === '#t');
    expect(who).toMatchObject({ total: 2 });
    if (who.type === 'who') expect([...who.users].sort()).toEqual(['alice', 'bob']);
    alice.send({ type: 'rooms' });
    const rooms = await alice.next('rooms');
    if (rooms.type !== 'rooms') throw new Error('unreachable');
    expect(rooms.rooms).toContainEqual({ name: '#t', users: 2, topic: 'cluster talk' });
    expect(rooms.rooms.map((r) => r.name)).toContain('#lobby');
  }, 60_000);
});

describe('cluster: failures', () => {
  it('a node killed with SIGKILL: its members leave within the lease, its nicks come free, acked messages stay', async () => {
    const [a, b] = await cluster(2);
    const watcher = await client(b!, 'watcher');
    const doomed = [await client(a!, 'd1'), await client(a!, 'd2')];
    await joinAll('#k', [watcher, ...doomed]);
    for (let k = 0; k < 50; k++) doomed[0]!.send({ type: 'say', room: '#k', text: `m${k}`, ref: `k${k}` });
    await expect.poll(() => doomed[0]!.received.filter((m) => m.type === 'ack').length, { timeout: 15_000 }).toBeGreaterThan(5);
    const acked = doomed[0]!.received.filter((m) => m.type === 'ack').map((m) => (m as { id: string }).id);
    await a!.stop('SIGKILL');
    running.splice(running.indexOf(a!), 1);
    for (const nick of ['d1', 'd2']) {
      const left = await watcher.next((m) => m.type === 'left' && m.room === '#k' && m.nick === nick, 15_000);
      expect(left).toMatchObject({ reason: 'connection closed', quit: true });
    }
    const again = await client(b!, 'd1');
    expect(again.received.find((m) => m.type === 'welcome')).toMatchObject({ nick: 'd1' });
    const history = await fullHistory(watcher, '#k');
    const ids = history.map((m) => m.id);
    for (const id of acked) expect(ids).toContain(id);
    expect(new Set(ids).size).toBe(ids.length);
  }, 60_000);

  it('SIGTERM of a node: its members leave at once and it exits 0', async () => {
    const [a, b] = await cluster(2, ['--node-lease', '60']);
    const watcher = await client(b!, 'watcher2');
    const leaving = await client(a!, 'leaving');
    await joinAll('#g', [watcher, leaving]);
    const code = await a!.stop('SIGTERM');
    running.splice(running.indexOf(a!), 1);
    expect(code).toBe(0);
    // The lease is a minute: only a graceful goodbye can explain seeing this now.
    expect(await watcher.next((m) => m.type === 'left' && m.room === '#g' && m.nick === 'leaving', 10_000)).toMatchObject({ quit: true });
    const again = await client(b!, 'leaving');
    expect(again.received.find((m) => m.type === 'welcome')).toMatchObject({ nick: 'leaving' });
  }, 60_000);

  it('a client of a dead node reconnects to another and gets every message it missed, once', async () => {
    const [a, b] = await cluster(2, ['--rate-limit', '0', '--room-rate', '0']);
    const talker = await client(b!, 'talker');
    const roamer = await client(a!, 'roamer');
    await joinAll('#r', [talker, roamer]);
    for (let k = 0; k < 20; k++) talker.send({ type: 'say', room: '#r', text: `before ${k}`, ref: `b${k}` });
    await expect.poll(() => messagesOf(roamer, '#r').length, { timeout: 15_000 }).toBe(20);
    const lastSeen = messagesOf(roamer, '#r').at(-1)!.seq;
    roamer.close();
    for (let k = 0; k < 300; k++) talker.send({ type: 'say', room: '#r', text: `while away ${k}`, ref: `w${k}` });
    await expect.poll(() => talker.received.filter((m) => m.type === 'ack').length, { timeout: 30_000 }).toBe(320);
    const back = await client(b!, 'roamer2');
    const missed = (await fullHistory(back, '#r')).filter((m) => m.seq > lastSeen);
    expect(missed.map((m) => m.text)).toEqual(Array.from({ length: 300 }, (_, k) => `while away ${k}`));
  }, 90_000);

  it('refuses to start on a Redis that could lose acked messages, with a clear message', async () => {
    const lossy = await startRedis({ appendonly: false });
    try {
      await expect(startNode(lossy.url)).rejects.toThrow(/appendonly/i);
    } finally {
      await lossy.stop();
    }
    const evicting = await startRedis({ maxmemoryPolicy: 'allkeys-lru' });
    try {
      await expect(startNode(evicting.url)).rejects.toThrow(/noeviction/i);
    } finally {
      await evicting.stop();
    }
    await expect(startNode('/nonexistent/redis.sock')).rejects.toThrow(/redis/i);
  }, 60_000);
});

describe('cluster: Redis dies', () => {
  it('a say while Redis is down fails at once; after a restart nothing acked is lost and seqs carry on', async () => {
    const own = await startRedis();
    const nodes = await startCluster(own.url, 2);
    running.push(...nodes);
    try {
      const x = await client(nodes[0]!, 'x');
      const y = await client(nodes[1]!, 'y');
      await joinAll('#d', [x, y]);
      for (let k = 0; k < 30; k++) x.send({ type: 'say', room: '#d', text: `a${k}`, ref: `a${k}` });
      await expect.poll(() => messagesOf(y, '#d').length, { timeout: 15_000 }).toBe(30);
      await own.kill('SIGKILL');
      x.send({ type: 'say', room: '#d', text: 'into the void', ref: 'void' });
      expect(await x.error('INTERNAL', 10_000)).toMatchObject({ ref: 'void' });
      await own.restart();
      // The nodes reconnect by themselves; a say goes through again once they have.
      await expect.poll(async () => {
        x.send({ type: 'say', room: '#d', text: 'back', ref: `back${Date.now()}` });
        const answer = await x.next((m) => (m.type === 'ack' && m.ref.startsWith('back')) || (m.type === 'error' && m.ref?.startsWith('back') === true), 10_000);
        return answer.type;
      }, { timeout: 30_000, interval: 500 }).toBe('ack');
      await expect.poll(() => messagesOf(y, '#d').some((m) => m.text === 'back'), { timeout: 15_000 }).toBe(true);
      const seqs = messagesOf(y, '#d').map((m) => m.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(seqs).toEqual([...seqs].sort((p, q) => p - q));
      const history = await fullHistory(y, '#d');
      expect(history.filter((m) => m.text.startsWith('a'))).toHaveLength(30);
      expect(history.some((m) => m.text === 'into the void')).toBe(false);
    } finally {
      await Promise.all(running.splice(0).map((s) => s.stop('SIGKILL')));
      await own.stop();
    }
  }, 90_000);

  it('Redis killed in the middle of a burst: every ack is in history once, refused says are not, seqs never reused', async () => {
    const own = await startRedis();
    const nodes = await startCluster(own.url, 2, { args: ['--rate-limit', '0', '--room-rate', '0'] });
    running.push(...nodes);
    try {
      const x = await client(nodes[0]!, 'bx');
      const y = await client(nodes[1]!, 'by');
      await joinAll('#burst', [x, y]);
      const burst = (from: number, n: number) => {
        for (let k = from; k < from + n; k++) x.send({ type: 'say', room: '#burst', text: `b${k}`, ref: `b${k}` });
      };
      burst(0, 100);
      await expect.poll(() => x.received.filter((m) => m.type === 'ack').length, { timeout: 15_000 }).toBeGreaterThan(10);
      await own.kill('SIGKILL');
      burst(100, 100);
      await expect.poll(() => x.received.filter((m) => m.type === 'error' && m.code === 'INTERNAL').length, { timeout: 15_000 }).toBeGreaterThan(0);
      await own.restart();
      await expect.poll(async () => {
        x.send({ type: 'say', room: '#burst', text: 'again', ref: `again${Date.now()}` });
        const answer = await x.next((m) => (m.type === 'ack' && m.ref.startsWith('again')) || (m.type === 'error' && m.ref?.startsWith('again') === true), 10_000);
        return answer.type;
      }, { timeout: 30_000, interval: 500 }).toBe('ack');
      // Every say is answered, one way or the other.
      const answered = (ref: string) => x.received.some((m) => (m.type === 'ack' || m.type === 'error') && m.ref === ref);
      await expect.poll(() => Array.from({ length: 200 }, (_, k) => `b${k}`).every(answered), { timeout: 30_000 }).toBe(true);
      const acked = new Set(x.received.flatMap((m) => (m.type === 'ack' && m.ref.startsWith('b') ? [m.id] : [])));
      const refused = new Set(x.received.flatMap((m) => (m.type === 'error' && m.ref?.startsWith('b') ? [m.ref] : [])));
      const history = await fullHistory(y, '#burst');
      const ids = history.map((m) => m.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of acked) expect(ids).toContain(id);
      for (const ref of refused) expect(history.some((m) => m.text === ref)).toBe(false);
      const seqs = history.map((m) => m.seq);
      expect(seqs).toEqual([...seqs].sort((p, q) => p - q));
      // What the other node delivered live was durable: all of it is in history, once, in order.
      const live = messagesOf(y, '#burst');
      expect(new Set(live.map((m) => m.id)).size).toBe(live.length);
      for (const m of live) expect(ids).toContain(m.id);
      expect(live.map((m) => m.seq)).toEqual([...live.map((m) => m.seq)].sort((p, q) => p - q));
    } finally {
      await Promise.all(running.splice(0).map((s) => s.stop('SIGKILL')));
      await own.stop();
    }
  }, 120_000);
});
