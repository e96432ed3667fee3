/**
 * Away, whois and stats across nodes: real server processes sharing one real redis-server. A user away
 * on one node is shown away to members on another (live, in `who`, on its joins, to DM senders, after a
 * rename), `whois` finds a nick on any node, `stats` counts the whole cluster; IRC on one node sees the
 * same through 301, WHO's G and WHOIS.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../shared/protocol.js';
import { JsonClient } from '../helpers/clients.js';
import { startCluster } from '../helpers/cluster.js';
import { IrcClient } from '../helpers/irc-client.js';
import { startRedis, type RunningRedis } from '../helpers/redis.js';
import type { RunningServer } from '../helpers/server.js';

const PASSWORD = 'correct horse';
const LONG = 15_000;

let redis: RunningRedis;
let admin: Redis;
let a: RunningServer;
let b: RunningServer;
const open: { close(): void }[] = [];

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis({ path: redis.url });
  [a, b] = (await startCluster(redis.url, 2, { args: ['--irc-port', '0'] })) as [RunningServer, RunningServer];
});
afterEach(() => { for (const c of open.splice(0)) c.close(); });
afterAll(async () => {
  await Promise.all([a, b].map((n) => n?.stop()));
  admin?.disconnect();
  await redis?.stop();
});

async function user(node: RunningServer, nick: string): Promise<JsonClient> {
  const c = await JsonClient.registered('ws', node.wsUrl, nick);
  open.push(c);
  return c;
}

async function who(c: JsonClient, room: string): Promise<ServerMessage> {
  c.send({ type: 'who', room });
  return c.next((m) => m.type === 'who' && m.room === room, LONG);
}

/** Every away text the nodes keep for later snapshots. */
async function storedAway(): Promise<Record<string, string>> {
  const keys = await admin.keys('chat:node:*:away');
  const all: Record<string, string> = {};
  for (const key of keys) Object.assign(all, await admin.hgetall(key));
  return all;
}

describe('away across nodes', () => {
  it('is told to members on the other node, shown in its who and its later snapshots, and to DM senders; then back', async () => {
    const onB = await user(b, 'Bea');
    const onA = await user(a, 'Abe');
    expect(await onA.join('#x')).toMatchObject({ type: 'who' });
    expect(await onB.join('#x')).toMatchObject({ type: 'who', total: 2 });

    onB.send({ type: 'away', reason: 'commuting', ref: 'w' });
    expect(await onB.next('away')).toEqual({ type: 'away', nick: 'Bea', reason: 'commuting', ref: 'w' });
    expect(await onA.next('away', LONG)).toEqual({ type: 'away', nick: 'Bea', reason: 'commuting' });
    expect(await who(onA, '#x')).toMatchObject({ users: expect.arrayContaining(['Abe', 'Bea']), away: ['Bea'] });
    expect(Object.values(await storedAway())).toEqual(['commuting']);

    // A room node A does not serve yet: its snapshot brings the away text (who of a room served
    // nowhere here, then a join that makes node A serve it).
    expect(await onB.join('#later')).toMatchObject({ type: 'who' });
    expect(await who(onA, '#later')).toMatchObject({ users: ['Bea'], away: ['Bea'] });
    expect(await onA.join('#later')).toMatchObject({ type: 'who', users: expect.arrayContaining(['Abe', 'Bea']), away: ['Bea'] });

    // Her join of a room served on A says she is away.
    expect(await onA.join('#third')).toMatchObject({ type: 'who' });
    await onB.join('#third');
    expect(await onA.next((m) => m.type === 'joined' && m.room === '#third' && m.nick === 'Bea', LONG)).toMatchObject({ away: 'commuting' });

    // A DM from A: the sender's copy carries the away text from B, and her nick as she spells it.
    onA.send({ type: 'dm', to: 'BEA', text: 'ping', ref: 'd' });
    expect(await onA.next('dm', LONG)).toMatchObject({ from: 'Abe', to: 'Bea', ref: 'd', away: 'commuting' });
    expect(await onB.next('dm', LONG)).not.toHaveProperty('away');

    // A rename keeps her away in A's replica.
    onB.send({ type: 'nick', nick: 'Beatrix' });
    await onA.next((m) => m.type === 'nick' && m.new === 'Beatrix', LONG);
    expect(await who(onA, '#x')).toMatchObject({ away: ['Beatrix'] });

    onB.send({ type: 'away' });
    expect(await onA.next((m) => m.type === 'away' && m.reason === undefined, LONG)).toEqual({ type: 'away', nick: 'Beatrix' });
    expect(await who(onA, '#x')).not.toHaveProperty('away');
    expect(await storedAway()).toEqual({});

    // Away again, then gone: what was kept for snapshots goes with her.
    onB.send({ type: 'away', reason: 'leaving' });
    await onA.next((m) => m.type === 'away' && m.reason === 'leaving', LONG);
    onB.close();
    await onA.next((m) => m.type === 'left' && m.nick === 'Beatrix', LONG);
    await expect.poll(storedAway, { timeout: LONG }).toEqual({});
  });
});

describe('whois across nodes', () => {
  it('finds a nick held on the other node, with its account and away text; NO_SUCH_USER for nobody', async () => {
    const held = await user(b, 'Holder');
    held.send({ type: 'register', password: PASSWORD });
    await held.next('account');
    held.send({ type: 'away', reason: 'afk' });
    await held.next('away');
    const asker = await user(a, 'Asker');
    asker.send({ type: 'whois', nick: 'holder', ref: 'q' });
    expect(await asker.next('whois', LONG)).toEqual({ type: 'whois', nick: 'Holder', account: 'Holder', away: 'afk', ref: 'q' });
    asker.send({ type: 'whois', nick: 'nobodyAnywhere', ref: 'n' });
    expect(await asker.error('NO_SUCH_USER', LONG)).toMatchObject({ ref: 'n' });
  });
});

describe('stats across nodes', () => {
  it("counts the cluster's users, rooms and nodes, and this node's own users", async () => {
    const [one, two, three] = [await user(a, 'Cnt1'), await user(b, 'Cnt2'), await user(b, 'Cnt3')];
    await three.join('#counting');
    // Users of the tests before are on their way out.
    await expect.poll(async () => {
      one.send({ type: 'stats', ref: 's' });
      return one.next('stats', LONG);
    }, { timeout: LONG }).toEqual({ type: 'stats', users: 3, rooms: 2, servers: 2, localUsers: 1, maxLocalUsers: expect.any(Number), operators: 0, ref: 's' });
    two.send({ type: 'stats' });
    expect(await two.next('stats', LONG)).toMatchObject({ users: 3, servers: 2, localUsers: 2 });
  });
});

describe('IRC across nodes', () => {
  it('301 to a PRIVMSG sender, G in WHO and the WHOIS numerics for a user away on the other node', async () => {
    const far = await user(b, 'FarAway');
    far.send({ type: 'away', reason: 'on the other node' });
    await far.next('away');
    await far.join('#mixed');
    const c = await IrcClient.registered(a.ircPort!, 'ircA');
    open.push(c);
    c.send('JOIN #mixed');
    await c.next('366', LONG);
    c.send('PRIVMSG FarAway :hi');
    expect(await c.next('301', LONG)).toMatchObject({ params: ['ircA', 'FarAway', 'on the other node'] });
    c.send('WHO #mixed');
    const rows = [await c.next('352', LONG), await c.next('352', LONG)];
    expect(Object.fromEntries(rows.map((r) => [r.params[5], r.params[6]]))).toEqual({ FarAway: 'G', ircA: 'H' });
    await c.sync();
    c.send('WHOIS faraway');
    expect((await c.sync()).map((m) => [m.verb, ...m.params.slice(1)])).toEqual([
      ['311', 'FarAway', '~u', 'chat', '*', 'FarAway'],
      ['312', 'FarAway', 'chat', 'chat'],
      ['301', 'FarAway', 'on the other node'],
      ['318', 'faraway', 'End of /WHOIS list'],
    ]);
    c.send('WHOIS nobodyAnywhere');
    expect((await c.sync()).map((m) => m.verb)).toEqual(['401', '318']);
  });
});
