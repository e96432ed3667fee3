/**
 * Room moderation in a cluster: the same rules with the room's members on two nodes. The owner on one
 * node makes an operator on the other, who bans a guest connected to the first; the ban learns the
 * guest's address there and keeps it out of both nodes under any nick. Settings and privacy hold on both.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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
  nodes = await startCluster(redis.url, 2, { args: ['--limit-exempt', ''] });
});
afterEach(() => { for (const c of clients.splice(0)) c.close(); });
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await redis?.stop();
});

async function user(node: RunningServer, nick: string, from: string, register = false): Promise<JsonClient> {
  const c = await JsonClient.from(node.tcpPort, from, nick);
  clients.push(c);
  if (register) {
    c.send({ type: 'register', password: PASSWORD });
    await c.next('account');
  }
  return c;
}

const join = (c: JsonClient, room: string) => c.join(room);

describe('room moderation across nodes', () => {
  it('an operator on one node bans a guest on the other; it stays out of both under any nick', async () => {
    const [a, b] = nodes as [RunningServer, RunningServer];
    const owner = await user(a, 'Ona', '127.0.6.1', true);
    const friend = await user(b, 'Finn', '127.0.6.2', true);
    const spam = await user(a, 'Spammy', '127.0.6.3');
    await join(owner, '#club');
    await join(friend, '#club');
    await join(spam, '#club');
    owner.send({ type: 'role', room: '#club', account: 'Finn', role: 'op', ref: 'op' });
    expect(await friend.next('moderation')).toMatchObject({ room: '#club', by: 'Ona', action: 'op', detail: 'Finn' });

    friend.send({ type: 'ban', room: '#club', mask: 'spammy', reason: 'ads', ref: 'b' });
    expect(await friend.next((m) => m.type === 'bans' && m.ref === 'b')).toMatchObject({ bans: [{ mask: 'spammy', reason: 'ads' }] });
    expect(await owner.next((m) => m.type === 'left' && m.nick === 'Spammy')).toMatchObject({ reason: 'banned: ads' });
    expect(await spam.next((m) => m.type === 'left' && m.nick === 'Spammy')).toMatchObject({ room: '#club' });

    // Node a learns the guest's address; then another nick from it is kept out, on node b too.
    const other = await user(b, 'Different', '127.0.6.3');
    await expect.poll(async () => {
      const answer = await join(other, '#club');
      return answer.type === 'error' ? answer.code : 'joined';
    }, { timeout: 10_000 }).toBe('BANNED');
    const bystander = await user(b, 'Bystander', '127.0.6.4');
    expect(await join(bystander, '#club')).toMatchObject({ type: 'who' });
  });

  it('settings made on one node hold on the other: secret rooms are hidden, moderated rooms stop guests', async () => {
    const [a, b] = nodes as [RunningServer, RunningServer];
    const owner = await user(a, 'Sara', '127.0.7.1', true);
    await join(owner, '#quiet');
    const guest = await user(b, 'Gil', '127.0.7.2');
    await join(guest, '#quiet');
    owner.send({ type: 'settings', room: '#quiet', moderated: true, secret: true, ref: 's' });
    expect(await guest.next('moderation')).toMatchObject({ action: 'settings', detail: 'moderated, secret' });
    guest.send({ type: 'say', room: '#quiet', text: 'hi', ref: 'x' });
    expect(await guest.error('MUTED')).toMatchObject({ ref: 'x' });

    const outsider = await user(b, 'Otto', '127.0.7.3');
    outsider.send({ type: 'who', room: '#quiet' });
    expect(await outsider.next((m) => m.type === 'who' && m.room === '#quiet')).toMatchObject({ users: [], total: 0 });
    await expect.poll(async () => {
      outsider.send({ type: 'rooms' });
      const list = await outsider.next('rooms');
      return list.type === 'rooms' && list.rooms.some((r) => r.name === '#quiet');
    }).toBe(false);
  });
});
