/**
 * Read markers in a cluster: real server processes over one real redis-server. The terminals of one
 * account (on one node) share them as on a single node; they are kept in the account's Redis hash, so a
 * terminal that logs in on another node, after the first one left, is told them.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../shared/protocol.js';
import { JsonClient } from '../helpers/clients.js';
import { startCluster } from '../helpers/cluster.js';
import { startRedis, type RunningRedis } from '../helpers/redis.js';
import type { RunningServer } from '../helpers/server.js';

const PASSWORD = 'correct horse';
const LONG = 15_000;

let redis: RunningRedis;
let admin: Redis;
let a: RunningServer;
let b: RunningServer;
const open: JsonClient[] = [];

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis({ path: redis.url });
  [a, b] = (await startCluster(redis.url, 2, { args: ['--limit-exempt', '127.0.0.1'] })) as [RunningServer, RunningServer];
});
afterEach(() => { for (const c of open.splice(0)) c.close(); });
afterAll(async () => {
  await Promise.all([a, b].map((n) => n?.stop()));
  admin?.disconnect();
  await redis?.stop();
});

async function guest(node: RunningServer, nick: string): Promise<JsonClient> {
  const c = await JsonClient.registered('tcp', node.tcpPort, nick);
  open.push(c);
  return c;
}

/** Logs in to the account with hello on `node`; the nick may still be held by a closed connection for a moment. */
async function terminal(node: RunningServer, nick: string): Promise<JsonClient> {
  for (;;) {
    const c = await JsonClient.ws(node.wsUrl);
    open.push(c);
    c.send({ type: 'hello', nick, password: PASSWORD });
    const answer = await c.next((m) => m.type === 'welcome' || m.type === 'error', LONG);
    if (answer.type === 'welcome') return c;
    c.close();
    if (answer.type !== 'error' || answer.code !== 'NICK_TAKEN') throw new Error(`hello refused: ${JSON.stringify(answer)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function settled(c: JsonClient): Promise<ServerMessage[]> {
  const ref = `s${Math.random()}`;
  c.send({ type: 'ping', ref });
  await c.next((m) => m.type === 'pong' && m.ref === ref, LONG);
  return c.received;
}

async function say(c: JsonClient, room: string, count: number): Promise<number> {
  let seq = 0;
  for (let i = 0; i < count; i++) {
    const ref = `say${i}`;
    c.send({ type: 'say', room, text: `line ${i}`, ref });
    const ack = await c.next((m) => m.type === 'ack' && m.ref === ref, LONG);
    if (ack.type === 'ack') seq = ack.seq;
  }
  return seq;
}

const reads = (messages: ServerMessage[]) => messages.filter((m) => m.type === 'read');

describe('read markers across nodes', () => {
  it('are kept in the account\'s Redis hash and told to a terminal that logs in on the other node after the first left', async () => {
    const owner = await guest(a, 'Cleo');
    owner.send({ type: 'register', password: PASSWORD, ref: 'r' });
    await owner.next((m) => m.type === 'account' && m.ref === 'r', LONG);
    const second = await terminal(a, 'cleo');
    const talker = await guest(b, 'Tom');
    await owner.join('#cl');
    expect(await talker.join('#cl')).toMatchObject({ type: 'who', total: 2 });
    const last = await say(talker, '#cl', 4);

    // Between terminals on one node, as on a single node.
    owner.send({ type: 'read', room: '#cl', seq: last - 2, ref: 'm1' });
    expect(await owner.next('read', LONG)).toEqual({ type: 'read', room: '#cl', seq: last - 2, ref: 'm1' });
    expect(await second.next('read', LONG)).toEqual({ type: 'read', room: '#cl', seq: last - 2 });
    owner.send({ type: 'read', room: '#cl', seq: last, ref: 'm2' });
    expect(await second.next('read', LONG)).toEqual({ type: 'read', room: '#cl', seq: last });

    owner.close();
    second.close();
    await Promise.all([owner.closedPromise, second.closedPromise]);
    // Written when the account's last terminal there left: the latest marker, in the documented shape.
    await expect.poll(async () => {
      const json = await admin.hget('chat:read:cleo', '#cl');
      return json && JSON.parse(json);
    }, { timeout: LONG }).toMatchObject({ room: '#cl', seq: last });

    const elsewhere = await terminal(b, 'CLEO');
    expect(reads(await settled(elsewhere))).toEqual([{ type: 'read', room: '#cl', seq: last }]);
    // Only forward there too: a lower seq is answered with the stored marker.
    await elsewhere.join('#cl');
    elsewhere.send({ type: 'read', room: '#cl', seq: 1, ref: 'low' });
    expect(await elsewhere.next((m) => m.type === 'read' && m.ref === 'low', LONG)).toEqual({ type: 'read', room: '#cl', seq: last, ref: 'low' });
  });
});
