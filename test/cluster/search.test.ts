/**
 * A cluster keeps no full-text index: every `search` is refused with UNSUPPORTED and its ref, before the
 * room is looked at, so an outsider of a secret room is told exactly what anyone else is. Real
 * redis-server, a real node process, JSON and text mode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonClient, TextClient } from '../helpers/clients.js';
import { startNode } from '../helpers/cluster.js';
import { startRedis, type RunningRedis } from '../helpers/redis.js';
import type { RunningServer } from '../helpers/server.js';

const REFUSAL = 'search needs the single-node server (SQLite): this server runs as part of a cluster';

let redis: RunningRedis;
let node: RunningServer;

beforeAll(async () => {
  redis = await startRedis();
  node = await startNode(redis.url, { args: ['--limit-exempt', ''] });
});
afterAll(async () => {
  await node?.stop();
  await redis?.stop();
});

describe('search in a cluster', () => {
  it('is refused with UNSUPPORTED and the ref, the same for any room, and the connection keeps working', async () => {
    const owner = await JsonClient.from(node.tcpPort, '127.0.7.1', 'Keeper');
    owner.send({ type: 'register', password: 'correct horse' });
    await owner.next('account');
    await owner.join('#hidden');
    owner.send({ type: 'say', room: '#hidden', text: 'findable words', ref: 's' });
    await owner.next('ack');
    owner.send({ type: 'settings', room: '#hidden', secret: true, ref: 'set' });
    await owner.next((m) => m.type === 'notice' && m.ref === 'set');

    const outsider = await JsonClient.ws(node.wsUrl);
    outsider.send({ type: 'hello', nick: 'Outsider' });
    await outsider.next((m) => m.type === 'who' && m.room === '#lobby');
    for (const [c, room, ref] of [[owner, '#hidden', 'a'], [outsider, '#hidden', 'b'], [outsider, '#lobby', 'c'], [outsider, '#nowhere', 'd']] as const) {
      c.send({ type: 'search', room, query: 'findable', ref });
      expect(await c.error('UNSUPPORTED')).toEqual({ type: 'error', code: 'UNSUPPORTED', message: REFUSAL, ref });
    }
    // A bad query is still refused at the edge, for what it is.
    outsider.send({ type: 'search', room: '#lobby', query: '***', ref: 'e' });
    expect(await outsider.error('TEXT_INVALID')).toMatchObject({ ref: 'e' });
    outsider.send({ type: 'history', room: '#hidden', ref: 'h' });
    expect(await outsider.next((m) => m.type === 'history' && m.room === '#hidden')).toMatchObject({ messages: [], more: false });
    owner.close();
    outsider.close();
  });

  it('says so in text mode', async () => {
    const t = await TextClient.connect(node.tcpPort, { localAddress: '127.0.7.2' });
    t.write('Typist\r\n');
    await t.waitFor(/\*\*\* #lobby \(\d+\): [^\r]*Typist/);
    t.write('/search anything at all\r\n');
    await t.waitFor(new RegExp(`!!! UNSUPPORTED: ${REFUSAL.replace(/[()]/g, '\\$&')}\\r\\n`));
    t.close();
  });
});
