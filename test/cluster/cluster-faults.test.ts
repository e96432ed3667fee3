/**
 * Cluster mode under the faults a single node never sees: a node paused past its lease (a zombie), a
 * node that falls behind a trimmed bus, joins racing live traffic, a large room spread over nodes, and
 * health as the admin listener reports it.
 */
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { ServerMessage } from '../../shared/protocol.js';
import { fullHistory, JsonClient } from '../helpers/clients.js';
import { startCluster, startNode } from '../helpers/cluster.js';
import { startRedis, type RunningRedis } from '../helpers/redis.js';
import type { RunningServer } from '../helpers/server.js';

let redis: RunningRedis;
const running: RunningServer[] = [];
const clients: JsonClient[] = [];

beforeAll(async () => { redis = await startRedis(); });
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of running.splice(0)) {
    s.proc.kill('SIGCONT');
    await s.stop('SIGKILL');
  }
});
afterAll(async () => { await redis?.stop(); });

async function client(node: RunningServer, nick: string): Promise<JsonClient> {
  const c = await JsonClient.registered('tcp', node.tcpPort, nick);
  clients.push(c);
  return c;
}

async function join(c: JsonClient, room: string): Promise<void> {
  c.send({ type: 'join', room });
  await c.next((x) => x.type === 'history' && x.room === room);
  await c.next((x) => x.type === 'who' && x.room === room);
}

const messagesOf = (c: JsonClient, room: string) =>
  c.received.filter((m): m is ServerMessage & { type: 'message' } => m.type === 'message' && m.room === room);

async function health(node: RunningServer): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${node.adminPort}/healthz`);
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

describe('cluster faults', () => {
  it('a node paused past its lease is fenced: its nicks go to others, and when it wakes its sessions get bye', async () => {
    const [a, b] = await startCluster(redis.url, 2, { lease: 3 });
    running.push(a!, b!);
    const sleeper = await client(a!, 'sleeper');
    const watcher = await client(b!, 'zwatcher');
    await join(sleeper, '#z');
    await join(watcher, '#z');
    a!.proc.kill('SIGSTOP');
    await watcher.next((m) => m.type === 'left' && m.room === '#z' && m.nick === 'sleeper', 15_000);
    const taker = await client(b!, 'sleeper');
    expect(taker.received.find((m) => m.type === 'welcome')).toMatchObject({ nick: 'sleeper' });
    a!.proc.kill('SIGCONT');
    // Anything the zombie had read but not handled must not reach the room.
    sleeper.send({ type: 'say', room: '#z', text: 'from beyond', ref: 'zombie' });
    expect(await sleeper.next('bye', 15_000)).toMatchObject({ reason: 'shutdown' });
    await sleeper.closedPromise;
    expect(await watcher.none((m) => m.type === 'message' && m.text === 'from beyond', 1000)).toBe(true);
    // The node carries on under a new id: it serves new clients, and the nick stays with its new holder.
    const fresh = await client(a!, 'fresh');
    fresh.send({ type: 'hello', nick: 'x' });
    expect(await fresh.error('ALREADY_REGISTERED')).toBeTruthy();
    const dup = await JsonClient.tcp(a!.tcpPort);
    clients.push(dup);
    dup.send({ type: 'hello', nick: 'sleeper' });
    await dup.error('NICK_TAKEN');
  }, 60_000);

  it('a node stalled while the bus was trimmed past it reloads its rooms: its members miss nothing, get nothing twice', async () => {
    const [a, b] = await startCluster(redis.url, 2, { lease: 60, args: ['--bus-maxlen', '100', '--rate-limit', '0', '--room-rate', '0'] });
    running.push(a!, b!);
    const talker = await client(a!, 'ttalker');
    const reader = await client(b!, 'treader');
    await join(talker, '#trim');
    await join(reader, '#trim');
    talker.send({ type: 'say', room: '#trim', text: 'first', ref: 'first' });
    await expect.poll(() => messagesOf(reader, '#trim').length, { timeout: 10_000 }).toBe(1);
    b!.proc.kill('SIGSTOP');
    for (let i = 0; i < 1000; i++) talker.send({ type: 'say', room: '#trim', text: `m${i}`, ref: `m${i}` });
    await expect.poll(() => talker.received.filter((m) => m.type === 'ack').length, { timeout: 30_000 }).toBe(1001);
    b!.proc.kill('SIGCONT');
    await expect.poll(() => messagesOf(reader, '#trim').length, { timeout: 30_000 }).toBe(1001);
    const seqs = messagesOf(reader, '#trim').map((m) => m.seq);
    expect(seqs).toEqual(Array.from({ length: 1001 }, (_, i) => seqs[0]! + i));
    expect(messagesOf(reader, '#trim').map((m) => m.text).slice(1)).toEqual(Array.from({ length: 1000 }, (_, i) => `m${i}`));
  }, 90_000);

  it('joins racing live messages: each joiner\'s history ends exactly where its live messages start', async () => {
    const [a, b] = await startCluster(redis.url, 2, { args: ['--rate-limit', '0', '--room-rate', '0'] });
    running.push(a!, b!);
    const talker = await client(a!, 'ctalker');
    await join(talker, '#cut');
    let sent = 0;
    const flow = setInterval(() => {
      for (let i = 0; i < 5; i++) talker.send({ type: 'say', room: '#cut', text: `t${sent++}` });
    }, 5);
    const joiners: JsonClient[] = [];
    try {
      for (let i = 0; i < 12; i++) {
        const j = await client(i % 2 ? a! : b!, `cj${i}`);
        j.send({ type: 'join', room: '#cut' });
        await j.next((m) => m.type === 'history' && m.room === '#cut');
        joiners.push(j);
      }
    } finally {
      clearInterval(flow);
    }
    await expect.poll(() => talker.received.filter((m) => m.type === 'message' && m.room === '#cut').length, { timeout: 20_000 }).toBe(sent);
    const lastSeq = messagesOf(talker, '#cut').at(-1)!.seq;
    for (const j of joiners) {
      await expect.poll(() => messagesOf(j, '#cut').at(-1)?.seq ?? 0, { timeout: 20_000 }).toBe(lastSeq);
      const history = j.received.find((m) => m.type === 'history' && m.room === '#cut');
      if (history?.type !== 'history') throw new Error('no join history');
      const live = messagesOf(j, '#cut').map((m) => m.seq);
      const replayed = history.messages.map((m) => m.seq);
      const upTo = replayed.at(-1) ?? live[0]! - 1;
      expect(live[0]).toBe(upTo + 1);
      expect(live).toEqual(Array.from({ length: live.length }, (_, i) => upTo + 1 + i));
    }
  }, 90_000);

  it('a room of 1,200 spread over two nodes keeps the announce limit: exact counts, previews, no single joins', async () => {
    const [a, b] = await startCluster(redis.url, 2, { args: ['--announce-limit', '1000', '--rate-limit', '0'] });
    running.push(a!, b!);
    const first = await client(a!, 'big0');
    await join(first, '#big');
    const sockets: JsonClient[] = [];
    for (let i = 1; i < 1200; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, 1200 - i) }, (_, k) => JsonClient.tcp((i + k) % 2 ? b!.tcpPort : a!.tcpPort)));
      batch.forEach((c, k) => {
        c.send({ type: 'hello', nick: `big${i + k}` });
        c.send({ type: 'join', room: '#big' });
      });
      await Promise.all(batch.map((c) => c.next((m) => m.type === 'who' && m.room === '#big', 30_000)));
      sockets.push(...batch);
    }
    clients.push(...sockets);
    const last = await client(b!, 'big1200');
    last.send({ type: 'join', room: '#big' });
    const preview = await last.next((m) => m.type === 'who' && m.room === '#big', 30_000);
    expect(preview).toMatchObject({ total: 1201 });
    if (preview.type === 'who') expect(preview.users.length).toBeLessThan(1201);
    expect(await first.none((m) => m.type === 'joined' && m.room === '#big' && m.nick === 'big1200', 1000)).toBe(true);
    first.send({ type: 'who', room: '#big' });
    const who = await first.next((m) => m.type === 'who' && m.room === '#big' && m.total === 1201, 15_000);
    if (who.type === 'who') expect(new Set(who.users).size).toBe(1201);
  }, 180_000);

  it('Redis connections dropped with appends in flight: nothing stored twice, every ack kept', async () => {
    const [a, b] = await startCluster(redis.url, 2, { args: ['--rate-limit', '0', '--room-rate', '0'] });
    running.push(a!, b!);
    const talker = await client(a!, 'kill-talker');
    const reader = await client(b!, 'kill-reader');
    await join(talker, '#drop');
    await join(reader, '#drop');
    const admin = new Redis(redis.url);
    try {
      for (let round = 0; round < 5; round++) {
        for (let k = 0; k < 60; k++) talker.send({ type: 'say', room: '#drop', text: `r${round}-${k}`, ref: `r${round}-${k}` });
        await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      }
    } finally {
      admin.disconnect();
    }
    const answered = () => talker.received.filter((m) => (m.type === 'ack' || m.type === 'error') && m.ref?.startsWith('r')).length;
    await expect.poll(answered, { timeout: 30_000 }).toBe(300);
    const acked = talker.received.flatMap((m) => (m.type === 'ack' ? [m.id] : []));
    // History as the reader's node has seen it: that node may still be reading the bus after the kills.
    let ids: string[] = [];
    await expect.poll(async () => {
      ids = (await fullHistory(reader, '#drop')).map((m) => m.id);
      return acked.filter((id) => !ids.includes(id));
    }, { timeout: 30_000 }).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    const live = messagesOf(reader, '#drop').map((m) => m.id);
    expect(new Set(live).size).toBe(live.length);
  }, 90_000);

  it('/healthz reports the cluster state: 200 with the node and lease, 503 while Redis is unreachable', async () => {
    const own = await startRedis();
    const node = await startNode(own.url);
    running.push(node);
    try {
      const up = await health(node);
      expect(up.status).toBe(200);
      expect(up.body).toMatchObject({ status: 'ok', cluster: { connected: true, leaseHeld: true } });
      const metrics = await (await fetch(`http://127.0.0.1:${node.adminPort}/metrics`)).text();
      expect(metrics).toMatch(/^chat_engine_bus_lag_ms \d/m);
      await own.kill('SIGKILL');
      await expect.poll(async () => (await health(node)).status, { timeout: 15_000 }).toBe(503);
      expect((await health(node)).body.problems).toContain('redis unreachable');
      await own.restart();
      await expect.poll(async () => (await health(node)).status, { timeout: 20_000 }).toBe(200);
    } finally {
      await own.stop();
    }
  }, 60_000);
});
