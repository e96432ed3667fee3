/**
 * Accounts in a cluster: two real server processes over one real redis-server. An account registered
 * through one node holds on the other, a look-alike race between nodes has one winner, ghost and kill
 * reach a connection on the other node, and a ban made on one node holds on both.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../shared/protocol.js';
import { JsonClient } from '../helpers/clients.js';
import { startCluster } from '../helpers/cluster.js';
import { startRedis, type RunningRedis } from '../helpers/redis.js';
import type { RunningServer } from '../helpers/server.js';

const PASSWORD = 'correct horse';

let redis: RunningRedis;
let nodes: RunningServer[] = [];
const clients: JsonClient[] = [];

beforeAll(async () => {
  redis = await startRedis();
  nodes = await startCluster(redis.url, 2, { args: ['--operators', 'Root', '--limit-exempt', ''] });
});
afterEach(() => { for (const c of clients.splice(0)) c.close(); });
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await redis?.stop();
});

async function open(node: RunningServer, kind: 'ws' | 'tcp' = 'tcp'): Promise<JsonClient> {
  const c = kind === 'ws' ? await JsonClient.ws(node.wsUrl) : await JsonClient.tcp(node.tcpPort);
  clients.push(c);
  return c;
}

async function guest(node: RunningServer, nick: string, from = '127.0.0.1'): Promise<JsonClient> {
  const c = await JsonClient.from(node.tcpPort, from, nick);
  clients.push(c);
  return c;
}

async function hello(c: JsonClient, nick: string, password?: string): Promise<ServerMessage> {
  c.send(password === undefined ? { type: 'hello', nick, ref: 'h' } : { type: 'hello', nick, password, ref: 'h' });
  return c.next((m) => m.type === 'welcome' || m.type === 'error');
}

describe('accounts across nodes', () => {
  it('registered through one node, the nick and its look-alikes are kept on the other; its password logs in there', async () => {
    const [a, b] = nodes as [RunningServer, RunningServer];
    const owner = await guest(a, 'Orla');
    owner.send({ type: 'register', password: PASSWORD, ref: 'r' });
    expect(await owner.next('account')).toMatchObject({ account: 'Orla', ref: 'r' });
    owner.close();
    await owner.closedPromise;
    const c = await open(b, 'ws');
    expect(await hello(c, 'orla')).toMatchObject({ type: 'error', code: 'NICK_REGISTERED' });
    expect(await hello(c, 'OrIa')).toMatchObject({ type: 'error', code: 'NICK_TAKEN', message: expect.stringContaining('registered nick Orla') });
    expect(await hello(c, 'orla', 'wrong password')).toMatchObject({ type: 'error', code: 'LOGIN_FAILED' });
    // The nick may still be held by the closed connection until node a has let it go.
    await expect.poll(async () => (await hello(c, 'ORLA', PASSWORD)).type, { timeout: 10_000 }).toBe('welcome');
  });

  it('two nodes registering look-alike nicks at once: exactly one wins', async () => {
    const [a, b] = nodes as [RunningServer, RunningServer];
    const one = await guest(a, 'Mona');
    const two = await guest(b, 'rnona');
    one.send({ type: 'register', password: PASSWORD, ref: 'r1' });
    two.send({ type: 'register', password: PASSWORD, ref: 'r2' });
    const answers = await Promise.all([
      one.next((m) => (m.type === 'account' || m.type === 'error') && m.ref === 'r1'),
      two.next((m) => (m.type === 'account' || m.type === 'error') && m.ref === 'r2'),
    ]);
    expect(answers.map((m) => m.type).sort()).toEqual(['account', 'error']);
    expect(answers.find((m) => m.type === 'error')).toMatchObject({ code: 'NICK_REGISTERED' });
  });

  it('ghost from one node closes the holder on the other and takes the nick', async () => {
    const [a, b] = nodes as [RunningServer, RunningServer];
    const holder = await guest(a, 'Gale');
    holder.send({ type: 'register', password: PASSWORD });
    await holder.next('account');
    const taker = await guest(b, 'Gale_');
    taker.send({ type: 'ghost', nick: 'gale', password: PASSWORD, ref: 'g' });
    expect(await holder.next('bye')).toMatchObject({ reason: 'disconnected by Gale_ (ghost)' });
    expect(await taker.next('nick', 15_000)).toEqual({ type: 'nick', old: 'Gale_', new: 'Gale' });
    expect(await taker.next('account')).toEqual({ type: 'account', account: 'Gale', ref: 'g' });
    // Everyone on either node sees the nick held by the taker now.
    const watcher = await guest(a, 'Watcher');
    watcher.send({ type: 'who', room: '#lobby' });
    expect(await watcher.next((m) => m.type === 'who' && m.users.includes('Gale'))).toBeTruthy();
  });

  it('terminals of one account on one node get what a user of the other node says and DMs; one on the other node is told to ghost', async () => {
    const [a, b] = nodes as [RunningServer, RunningServer];
    const one = await guest(a, 'Tess');
    one.send({ type: 'register', password: PASSWORD });
    await one.next('account');
    const two = await open(a, 'ws');
    expect(await hello(two, 'tess', PASSWORD)).toMatchObject({ type: 'welcome', nick: 'Tess', account: 'Tess' });
    await two.next((m) => m.type === 'who' && m.room === '#lobby');
    const far = await guest(b, 'Far');
    expect(await one.join('#pair')).toMatchObject({ type: 'who' });
    expect(await two.next((m) => m.type === 'who' && m.room === '#pair')).toMatchObject({ users: ['Tess'] });
    expect(await far.join('#pair')).toMatchObject({ type: 'who', users: expect.arrayContaining(['Tess', 'Far']), total: 2 });
    far.send({ type: 'say', room: '#pair', text: 'from b' });
    far.send({ type: 'dm', to: 'tess', text: 'private from b' });
    for (const c of [one, two]) {
      expect(await c.next((m) => m.type === 'message' && m.from === 'Far')).toMatchObject({ text: 'from b' });
      expect(await c.next('dm')).toMatchObject({ from: 'Far', to: 'Tess', text: 'private from b' });
    }
    far.send({ type: 'part', room: '#pair', reason: 'later' });
    expect(await one.next((m) => m.type === 'left' && m.nick === 'Far')).toEqual({ type: 'left', room: '#pair', nick: 'Far', reason: 'later' });
    const elsewhere = await open(b);
    const refused = await hello(elsewhere, 'Tess', PASSWORD);
    expect(refused).toMatchObject({ type: 'error', code: 'NICK_TAKEN', ref: 'h' });
    expect(refused.type === 'error' && refused.message).toContain('ghost');
  });

  it('a ban made on one node closes and keeps out the address on the other; a kill reaches it too', async () => {
    const [a, b] = nodes as [RunningServer, RunningServer];
    const root = await guest(a, 'Root', '127.0.0.2');
    root.send({ type: 'register', password: PASSWORD });
    await root.next('account');
    const spammer = await guest(b, 'Spam', '127.0.0.66');
    const loud = await guest(b, 'Loud', '127.0.0.67');
    root.send({ type: 'kill', nick: 'loud', reason: 'enough' });
    expect(await loud.next('bye')).toEqual({ type: 'bye', reason: 'killed by Root: enough' });
    root.send({ type: 'ban', mask: '127.0.0.64/30', reason: 'spam', ref: 'b' });
    expect(await root.next('bans')).toMatchObject({ ref: 'b', bans: [{ mask: '127.0.0.64/30' }] });
    expect(await spammer.next('bye')).toEqual({ type: 'bye', reason: 'banned' });
    for (const node of [a, b]) {
      const again = await open(node);
      expect(await hello(again, 'Other')).toMatchObject({ type: 'welcome' });
      const c = await JsonClient.tcp(node.tcpPort, '127.0.0.65');
      clients.push(c);
      c.send({ type: 'hello', nick: 'Sneaky' });
      expect(await c.next((m) => m.type === 'welcome' || m.type === 'error')).toMatchObject({ code: 'BANNED' });
      again.close();
      await again.closedPromise;
    }
    root.send({ type: 'unban', mask: '127.0.0.64/30' });
    await root.next('bans');
    // Node b lifts it when it reads the bans event: until then a new connection may still be refused.
    await expect.poll(async () => {
      const back = await JsonClient.tcp(b.tcpPort, '127.0.0.66');
      clients.push(back);
      back.send({ type: 'hello', nick: 'Reformed' });
      return (await back.next((m) => m.type === 'welcome' || m.type === 'error')).type;
    }).toBe('welcome');
  });
});
