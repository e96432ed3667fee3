/**
 * IRC in a cluster: an IRC user on node A and a WebSocket user on node B share a room over a real
 * redis-server: joins, messages both ways, DMs, and the IRC user's quit seen once on B; roles, settings
 * and kicks made on B seen on A as NAMES prefixes, MODE and KICK lines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonClient } from '../helpers/clients.js';
import { startCluster } from '../helpers/cluster.js';
import { IrcClient } from '../helpers/irc-client.js';
import type { ParsedMessage } from '../../server/irc/message.js';
import { startRedis, type RunningRedis } from '../helpers/redis.js';
import type { RunningServer } from '../helpers/server.js';

let redis: RunningRedis;
let nodes: RunningServer[] = [];

beforeAll(async () => {
  redis = await startRedis();
  nodes = await startCluster(redis.url, 2, { args: ['--irc-port', '0'] });
});
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await redis?.stop();
});

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

  it('roles, settings and kicks made on node B reach IRC users on node A as prefixes, MODE and KICK lines', async () => {
    const [a, b] = nodes as [RunningServer, RunningServer];
    const password = 'correct horse';
    const owner = await JsonClient.registered('ws', b.wsUrl, 'OwnB');
    const registrant = await JsonClient.registered('ws', a.wsUrl, 'VoxA');
    const opened: { close(): void }[] = [owner];
    try {
      for (const c of [owner, registrant]) {
        c.send({ type: 'register', password });
        await c.next('account');
      }
      registrant.close();
      await registrant.closedPromise;
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
});
