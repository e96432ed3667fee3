/**
 * IRC in a cluster: an IRC user on node A and a WebSocket user on node B share a room over a real
 * redis-server: joins, messages both ways, DMs, and the IRC user's quit seen once on B; the accounts of
 * B's users as A's IRC clients see them (account-tag, extended-join, account-notify) and as A's JSON
 * clients do (joined, who, message, login), live and from what A reads of a room it opens later; roles,
 * settings and kicks made on B seen on A as NAMES prefixes, MODE and KICK lines.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonClient } from '../helpers/clients.js';
import { startCluster } from '../helpers/cluster.js';
import { IrcClient } from '../helpers/irc-client.js';
import type { ParsedMessage } from '../../server/irc/message.js';
import { startRedis, type RunningRedis } from '../helpers/redis.js';
import type { RunningServer } from '../helpers/server.js';

let redis: RunningRedis;
let admin: Redis;
let nodes: RunningServer[] = [];

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis({ path: redis.url });
  nodes = await startCluster(redis.url, 2, { args: ['--irc-port', '0'] });
});
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  admin?.disconnect();
  await redis?.stop();
});

/** A user registered on node B (returned, connected) and an account registered on node A (disconnected). */
async function ownerAndAccount(a: RunningServer, b: RunningServer, ownerNick: string, accountNick: string, password: string): Promise<JsonClient> {
  const owner = await JsonClient.registered('ws', b.wsUrl, ownerNick);
  const registrant = await JsonClient.registered('ws', a.wsUrl, accountNick);
  for (const c of [owner, registrant]) {
    c.send({ type: 'register', password });
    await c.next('account');
  }
  registrant.close();
  await registrant.closedPromise;
  return owner;
}

describe('IRC across nodes', () => {
  it('an IRC user on one node and a WebSocket user on the other share a room', async () => {
    const [a, b] = nodes as [RunningServer, RunningServer];
    expect(a.ircPort).toEqual(expect.any(Number));
    const irc = await IrcClient.registered(a.ircPort!, 'ircNode');
    const ws = await JsonClient.registered('ws', b.wsUrl, 'wsNode');
    try {
      irc.send('JOIN #across');
      await irc.next('366');
      expect(await ws.join('#across')).toMatchObject({ type: 'who', users: expect.arrayContaining(['ircNode', 'wsNode']), total: 2 });
      expect(await irc.next((m) => m.verb === 'JOIN' && m.source === 'wsNode!~u@chat', 15_000)).toMatchObject({ params: ['#across'] });
      ws.send({ type: 'say', room: '#across', text: 'from b' });
      expect(await irc.next('PRIVMSG', 15_000)).toMatchObject({ source: 'wsNode!~u@chat', params: ['#across', 'from b'] });
      irc.send('PRIVMSG #across :from a');
      expect(await ws.next((m) => m.type === 'message' && m.from === 'ircNode', 15_000)).toMatchObject({ text: 'from a' });
      ws.send({ type: 'dm', to: 'ircnode', text: 'direct' });
      expect(await irc.next((m) => m.verb === 'PRIVMSG' && m.params[0] === 'ircNode', 15_000)).toMatchObject({ params: ['ircNode', 'direct'] });
      // Catching up on a room node a does not serve: by msgid, through the Redis log.
      await ws.join('#bonly');
      const ids: string[] = [];
      for (let i = 1; i <= 6; i++) {
        ws.send({ type: 'say', room: '#bonly', text: `c${i}`, ref: `c${i}` });
        const ack = await ws.next((m) => m.type === 'ack' && m.ref === `c${i}`);
        if (ack.type === 'ack') ids.push(ack.id);
      }
      const reader = await IrcClient.registered(a.ircPort!, 'catcher');
      reader.send('CAP REQ :draft/chathistory batch');
      await reader.next('CAP');
      reader.send(`CHATHISTORY AFTER #bonly msgid=${ids[1]} 3`);
      const open = await reader.next('BATCH');
      const got = [await reader.next('PRIVMSG'), await reader.next('PRIVMSG'), await reader.next('PRIVMSG')];
      expect(got.map((m) => m.params[1])).toEqual(['c3', 'c4', 'c5']);
      expect(got.every((m) => m.tags.get('batch') === open.params[0]!.slice(1))).toBe(true);
      reader.send(`CHATHISTORY BEFORE #bonly timestamp=${new Date(Date.now() + 60_000).toISOString()} 2`);
      await reader.next('BATCH');
      expect([(await reader.next('PRIVMSG')).params[1], (await reader.next('PRIVMSG')).params[1]]).toEqual(['c5', 'c6']);
      reader.close();
      irc.send('QUIT :bye now');
      expect(await ws.next((m) => m.type === 'left' && m.nick === 'ircNode', 15_000)).toMatchObject({ room: '#across', reason: 'bye now', quit: true });
    } finally {
      irc.close();
      ws.close();
    }
  });

  it("a user on node B logging in, joining and speaking: its account reaches node A's IRC and JSON clients", async () => {
    const [a, b] = nodes as [RunningServer, RunningServer];
    const irc = await IrcClient.registered(a.ircPort!, 'ircSees');
    const watcher = await JsonClient.registered('ws', a.wsUrl, 'jsonSees');
    const acc = await JsonClient.registered('ws', b.wsUrl, 'AccB');
    const gus = await JsonClient.registered('ws', b.wsUrl, 'gusB');
    try {
      await irc.requestCaps('account-tag extended-join account-notify');
      await irc.join('#accts');
      await watcher.join('#accts');
      acc.send({ type: 'register', password: 'correct horse', ref: 'r' });
      await acc.next('account');
      await acc.join('#accts');
      await gus.join('#accts');
      expect(await irc.next((m) => m.verb === 'JOIN' && m.source === 'AccB!~u@chat', 15_000)).toMatchObject({ params: ['#accts', 'AccB', 'AccB'] });
      expect(await irc.next((m) => m.verb === 'JOIN' && m.source === 'gusB!~u@chat', 15_000)).toMatchObject({ params: ['#accts', '*', 'gusB'] });
      expect(await watcher.next((m) => m.type === 'joined' && m.nick === 'AccB' && m.room === '#accts', 15_000)).toMatchObject({ account: 'AccB' });

      acc.send({ type: 'say', room: '#accts', text: 'from an account' });
      const line = await irc.next((m) => m.verb === 'PRIVMSG' && m.source === 'AccB!~u@chat', 15_000);
      expect([line.params[1], line.tags.get('account')]).toEqual(['from an account', 'AccB']);
      expect(await watcher.next((m) => m.type === 'message' && m.from === 'AccB', 15_000)).toMatchObject({ account: 'AccB' });

      // B's users log out and in: A hears it as login events.
      acc.send({ type: 'drop', password: 'correct horse', ref: 'd' });
      await acc.next('account');
      expect(await irc.next((m) => m.verb === 'ACCOUNT' && m.source === 'AccB!~u@chat', 15_000)).toMatchObject({ params: ['*'] });
      // (Its register was told to #lobby, which A's JSON users share with it.)
      expect(await watcher.next((m) => m.type === 'login' && m.account === undefined, 15_000)).toEqual({ type: 'login', nick: 'AccB' });
      gus.send({ type: 'register', password: 'correct horse', ref: 'g' });
      await gus.next('account');
      expect(await irc.next((m) => m.verb === 'ACCOUNT' && m.source === 'gusB!~u@chat', 15_000)).toMatchObject({ params: ['gusB'] });
      expect(await watcher.next((m) => m.type === 'login' && m.nick === 'gusB', 15_000)).toEqual({ type: 'login', nick: 'gusB', account: 'gusB' });

      // A room node A does not serve yet: its snapshot reads the accounts of B's members.
      await gus.join('#bside');
      gus.send({ type: 'say', room: '#bside', text: 'stored with it', ref: 's' });
      await gus.next('ack');
      const late = await JsonClient.registered('ws', a.wsUrl, 'lateA');
      try {
        expect(await late.join('#bside')).toMatchObject({ users: ['lateA', 'gusB'], accounts: [null, 'gusB'] });
        const reader = await IrcClient.registered(a.ircPort!, 'readerA');
        try {
          await reader.requestCaps('draft/chathistory batch account-tag');
          reader.send('CHATHISTORY LATEST #bside * 5');
          const got = (await reader.sync()).filter((m) => m.verb === 'PRIVMSG');
          expect(got.map((m) => [m.params[1], m.tags.get('account')])).toEqual([['stored with it', 'gusB']]);
        } finally {
          reader.close();
        }
      } finally {
        late.close();
      }
      // The replica of #accts on A took both changes.
      watcher.send({ type: 'who', room: '#accts' });
      const who = await watcher.next('who');
      expect(who.type === 'who' && Object.fromEntries(who.users.map((u, i) => [u, who.accounts?.[i] ?? null])))
        .toEqual({ ircSees: null, jsonSees: null, AccB: null, gusB: 'gusB' });
      // Kept for later snapshots while logged in, forgotten when the user leaves.
      const kept = await admin.keys('chat:node:*:accounts');
      expect(kept).toHaveLength(1);
      expect(Object.values(await admin.hgetall(kept[0]!))).toEqual(['gusB']);
      gus.close();
      await expect.poll(async () => (await admin.keys('chat:node:*:accounts')).length, { timeout: 15_000 }).toBe(0);
    } finally {
      for (const c of [irc, watcher, acc, gus]) c.close();
    }
  });

  it('roles, settings and kicks made on node B reach IRC users on node A as prefixes, MODE and KICK lines', async () => {
    const [a, b] = nodes as [RunningServer, RunningServer];
    const password = 'correct horse';
    const owner = await ownerAndAccount(a, b, 'OwnB', 'VoxA', password);
    const opened: { close(): void }[] = [owner];
    try {
      expect(await owner.join('#crossroles')).toMatchObject({ type: 'who' });
      // Its creator owns the room once the join is answered: it is told so.
      expect(await owner.next('role')).toEqual({ type: 'role', room: '#crossroles', nick: 'OwnB', role: 'op', was: 'none' });
      const vox = await IrcClient.registered(a.ircPort!, 'VoxA', password);
      const guest = await IrcClient.registered(a.ircPort!, 'guestA');
      opened.push(vox, guest);
      await vox.join('#crossroles');
      guest.send('JOIN #crossroles');
      // The owner, a member on the other node, is an operator in the NAMES of node A.
      expect(await guest.next((m) => m.verb === '353')).toMatchObject({ params: ['guestA', '=', '#crossroles', expect.stringContaining('@OwnB')] });
      await guest.next('366');

      owner.send({ type: 'role', room: '#crossroles', account: 'voxa', role: 'voice', ref: 'v' });
      const voiced = { source: 'OwnB!~u@chat', verb: 'MODE', params: ['#crossroles', '+v', 'VoxA'] };
      const byOwner = (m: ParsedMessage) => m.verb === 'MODE' && m.source === 'OwnB!~u@chat';
      expect(await guest.next(byOwner, 15_000)).toMatchObject(voiced);
      expect(await vox.next(byOwner, 15_000)).toMatchObject(voiced);
      guest.send('NAMES #crossroles');
      expect((await guest.next('353')).params[3]!.split(' ').sort()).toEqual(['+VoxA', '@OwnB', 'guestA']);

      owner.send({ type: 'settings', room: '#crossroles', moderated: true, ref: 's' });
      expect(await guest.next(byOwner, 15_000)).toMatchObject({ params: ['#crossroles', '+m'] });

      owner.send({ type: 'kick', room: '#crossroles', nick: 'guestA', reason: 'bye', ref: 'k' });
      const kick = { source: 'OwnB!~u@chat', verb: 'KICK', params: ['#crossroles', 'guestA', 'bye'] };
      expect(await guest.next('KICK', 15_000)).toMatchObject(kick);
      expect(await vox.next('KICK', 15_000)).toMatchObject(kick);
    } finally {
      for (const c of opened) c.close();
    }
  });

  it('roles follow accounts across nodes: a renamed operator on B keeps its @ on A; logging in on B to a voiced account is +v on A, dropping it -v', async () => {
    const [a, b] = nodes as [RunningServer, RunningServer];
    const password = 'correct horse';
    const owner = await ownerAndAccount(a, b, 'RoleOwnB', 'LaterV', password);
    const opened: { close(): void }[] = [owner];
    try {
      await owner.join('#acctroles');
      await owner.next('role');
      owner.send({ type: 'role', room: '#acctroles', account: 'laterv', role: 'voice', ref: 'v' });
      await owner.next((m) => m.type === 'notice' && m.ref === 'v');
      const watcher = await IrcClient.registered(a.ircPort!, 'watchRA');
      const comer = await JsonClient.registered('ws', b.wsUrl, 'comerB');
      opened.push(watcher, comer);
      // Node A serves no such room yet: its NAMES come from what the cluster holds, roles included.
      watcher.send('NAMES #acctroles');
      expect(await watcher.next('353', 15_000)).toMatchObject({ params: ['watchRA', '=', '#acctroles', '@RoleOwnB'] });
      await watcher.next('366');
      await watcher.join('#acctroles');
      await comer.join('#acctroles');
      await watcher.next((m) => m.verb === 'JOIN' && m.source === 'comerB!~u@chat', 15_000);
      const names = async () => {
        await watcher.sync();
        watcher.send('NAMES #acctroles');
        return (await watcher.next('353')).params[3]!.split(' ').sort();
      };

      // The owner renames on B: node A still sees its account's role under the new nick.
      owner.send({ type: 'nick', nick: 'RenamedOwn' });
      await watcher.next('NICK', 15_000);
      expect(await names()).toEqual(['@RenamedOwn', 'comerB', 'watchRA']);

      // A guest on B identifies as the voiced account: node A's members see the server give it +v.
      const modeOf = (m: ParsedMessage) => m.verb === 'MODE' && m.params[2] === 'LaterV';
      comer.send({ type: 'identify', account: 'laterv', password, ref: 'i' });
      await comer.next('account');
      expect(await watcher.next(modeOf, 15_000)).toMatchObject({ source: 'chat', params: ['#acctroles', '+v', 'LaterV'] });
      expect(await names()).toEqual(['+LaterV', '@RenamedOwn', 'watchRA']);
      // A role change made on B reaches the renamed operator on A's view too.
      owner.send({ type: 'role', room: '#acctroles', account: 'laterv', role: 'op', ref: 'o' });
      expect(await watcher.next(modeOf, 15_000)).toMatchObject({ source: 'RenamedOwn!~u@chat', params: ['#acctroles', '-v+o', 'LaterV', 'LaterV'] });

      comer.send({ type: 'drop', password, ref: 'd' });
      await comer.next('account');
      expect(await watcher.next(modeOf, 15_000)).toMatchObject({ source: 'chat', params: ['#acctroles', '-o', 'LaterV'] });
      expect(await names()).toEqual(['@RenamedOwn', 'LaterV', 'watchRA']);
    } finally {
      for (const c of opened) c.close();
    }
  });
});
