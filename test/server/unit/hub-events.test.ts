/**
 * The hub applying the engine's events as a cluster's bus delivers them: members on other nodes, lost
 * and late events, seq holes, resync and fencing, and the batching of presence in busy rooms.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PRESENCE_BATCH_MEMBERS, PRESENCE_WINDOW_MS } from '../../../server/hub.js';
import { deliverAll, register, request, scriptedHub, settle, type FakeClient, type TestHub } from './harness.js';

beforeEach(() => { vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }); });
afterEach(() => { vi.useRealTimers(); });

const texts = (c: FakeClient, room = '#lobby') => c.of('message').filter((m) => m.room === room).map((m) => m.text);

async function who(t: TestHub, client: FakeClient, room: string) {
  client.clear();
  await request(client, { type: 'who', room });
  const [answer] = client.of('who');
  client.clear();
  return answer;
}

/** alice in #x, bob in #x and #y, carol in neither, all here; rita on another node in #x and #y. */
async function ritaElsewhere() {
  const t = await scriptedHub();
  const alice = await register(t, 'alice');
  const bob = await register(t, 'bob');
  const carol = await register(t, 'carol');
  alice.send({ type: 'join', room: '#x' });
  bob.send({ type: 'join', room: '#x' });
  bob.send({ type: 'join', room: '#y' });
  await settle();
  await deliverAll(t);
  await deliverAll(t);
  const rita = t.engine.remoteMember('rita');
  t.engine.remoteJoin('#x', rita);
  t.engine.remoteJoin('#y', rita);
  await deliverAll(t);
  for (const c of [alice, bob, carol]) c.clear();
  return { t, alice, bob, carol, rita };
}

describe('members on other nodes', () => {
  it('appear in who and total when their join arrives, and leave on their part', async () => {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    alice.clear();
    const rita = t.engine.remoteMember('rita');

    t.engine.remoteJoin('#lobby', rita);
    await deliverAll(t);
    expect(alice.got).toEqual([{ type: 'joined', room: '#lobby', nick: 'rita', ts: expect.any(Number) }]);
    expect(await who(t, alice, '#lobby')).toEqual({ type: 'who', room: '#lobby', users: ['alice', 'rita'], total: 2 });
    expect(t.hub.rooms.sortedList()).toEqual([{ name: '#lobby', users: 2, topic: '' }]);

    t.engine.remotePart('#lobby', rita, 'gone home');
    await deliverAll(t);
    expect(alice.got).toEqual([{ type: 'left', room: '#lobby', nick: 'rita', reason: 'gone home' }]);
    expect(await who(t, alice, '#lobby')).toEqual({ type: 'who', room: '#lobby', users: ['alice'], total: 1 });
  });

  it('a part for a member not known here announces nothing and changes nothing', async () => {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    const rita = t.engine.remoteMember('rita');
    t.engine.remoteJoin('#lobby', rita);
    await deliverAll(t);
    alice.clear();

    t.engine.remotePart('#lobby', t.engine.remoteMember('ghost'));
    // A stale part for rita's earlier session (same nick, another sid) is not about the rita here now.
    t.engine.remotePart('#lobby', { ...rita, sid: 'node-b:an-earlier-session' });
    await deliverAll(t);
    expect(alice.got).toEqual([]);
    expect(await who(t, alice, '#lobby')).toEqual({ type: 'who', room: '#lobby', users: ['alice', 'rita'], total: 2 });
  });

  it('a room opened here starts with the members other nodes have in it', async () => {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    t.engine.remoteJoin('#den', t.engine.remoteMember('rita'));
    t.engine.take(() => true); // this node does not serve #den yet: it never reads that join
    alice.send({ type: 'join', room: '#den' });
    await settle();
    await deliverAll(t);
    expect(alice.of('who').find((w) => w.room === '#den')).toEqual({ type: 'who', room: '#den', users: ['alice', 'rita'], total: 2 });
  });

  it('a rename updates the remote member in the listed rooms, and reaches each local member sharing one once', async () => {
    // rita is on another node, in #x and #y but not in #lobby.
    const { t, alice, bob, carol, rita } = await ritaElsewhere();

    t.engine.remoteRename(rita, 'rina', ['#x', '#y']);
    await deliverAll(t);
    const renamed = { type: 'nick', old: 'rita', new: 'rina' };
    expect(alice.got).toEqual([renamed]);
    expect(bob.got).toEqual([renamed]);
    expect(carol.got).toEqual([]);
    expect((await who(t, bob, '#x'))!.users).toEqual(['alice', 'bob', 'rina']);
    expect((await who(t, bob, '#y'))!.users).toEqual(['bob', 'rina']);

    // Her part under the new nick is recognized.
    t.engine.remotePart('#y', { ...rita, nick: 'rina' });
    await deliverAll(t);
    expect(bob.got).toEqual([{ type: 'left', room: '#y', nick: 'rina' }]);
  });
});

describe('away of members on other nodes', () => {
  it('reaches each local member sharing a room once, shows in who, survives a rename, and joins and snapshots carry it', async () => {
    const { t, alice, bob, carol, rita } = await ritaElsewhere();

    const away = t.engine.remoteAway(rita, 'zzz', ['#x', '#y']);
    await deliverAll(t);
    const told = { type: 'away', nick: 'rita', reason: 'zzz' };
    expect(alice.got).toEqual([told]);
    expect(bob.got).toEqual([told]);
    expect(carol.got).toEqual([]);
    expect(await who(t, bob, '#x')).toEqual({ type: 'who', room: '#x', users: ['alice', 'bob', 'rita'], total: 3, away: ['rita'] });

    // A rename names the member, not its away text (the bus's nick event carries none): it stays.
    const { member: renamed } = t.engine.remoteRename(rita, 'rina', ['#x', '#y']);
    const rina = { ...renamed, away: away.away! };
    await deliverAll(t);
    expect((await who(t, bob, '#y'))!).toMatchObject({ users: ['bob', 'rina'], away: ['rina'] });

    // A room this node opens later starts with it (the snapshot), and a join of it says it.
    t.engine.remoteJoin('#z', rina);
    t.engine.take(() => true); // this node does not serve #z yet: it never reads that join
    alice.send({ type: 'join', room: '#z' });
    await settle();
    await deliverAll(t);
    expect(alice.of('who').find((w) => w.room === '#z')).toEqual({ type: 'who', room: '#z', users: ['alice', 'rina'], total: 2, away: ['rina'] });
    const sam = { ...t.engine.remoteMember('sam'), away: 'out' };
    t.engine.remoteJoin('#x', sam);
    await deliverAll(t);
    expect(bob.of('joined').find((j) => j.nick === 'sam')).toMatchObject({ room: '#x', away: 'out' });

    // Back.
    for (const c of [alice, bob]) c.clear();
    t.engine.remoteAway(rina, undefined, ['#x', '#y']);
    await deliverAll(t);
    expect(alice.got).toEqual([{ type: 'away', nick: 'rina' }]);
    expect(await who(t, bob, '#x')).toMatchObject({ users: ['alice', 'bob', 'rina', 'sam'], away: ['sam'] });
    // An away event for someone not known in a room changes nothing there.
    t.engine.remoteAway({ ...t.engine.remoteMember('rina'), sid: 'node-b:earlier' }, 'stale', ['#x']);
    await deliverAll(t);
    expect(await who(t, bob, '#x')).toMatchObject({ away: ['sam'] });
  });
});

describe('accounts of members on other nodes', () => {
  it('a login reaches each local member sharing a room once and shows in who; renames keep it; joins and snapshots carry it; a logout clears it', async () => {
    const { t, alice, bob, carol, rita } = await ritaElsewhere();

    const loggedIn = t.engine.remoteLogin(rita, 'Rita', ['#x', '#y']);
    await deliverAll(t);
    const told = { type: 'login', nick: 'rita', account: 'Rita' };
    expect(alice.got).toEqual([told]);
    expect(bob.got).toEqual([told]);
    expect(carol.got).toEqual([]);
    expect(await who(t, bob, '#x')).toEqual({ type: 'who', room: '#x', users: ['alice', 'bob', 'rita'], total: 3, accounts: [null, null, 'Rita'] });

    // The bus's nick event names the member without its account: the replica keeps it.
    const { member: renamed } = t.engine.remoteRename(rita, 'rina', ['#x', '#y']);
    expect(renamed).not.toHaveProperty('account');
    await deliverAll(t);
    expect(await who(t, bob, '#y')).toMatchObject({ users: ['bob', 'rina'], accounts: [null, 'Rita'] });

    // A room this node opens later starts with it (the snapshot), and a join of it says it.
    const rina = { ...loggedIn, nick: 'rina' };
    t.engine.remoteJoin('#z', rina);
    t.engine.take(() => true); // this node does not serve #z yet: it never reads that join
    alice.send({ type: 'join', room: '#z' });
    await settle();
    await deliverAll(t);
    expect(alice.of('who').find((w) => w.room === '#z')).toEqual({ type: 'who', room: '#z', users: ['alice', 'rina'], total: 2, accounts: [null, 'Rita'] });
    const sam = { ...t.engine.remoteMember('sam'), account: 'sam' };
    t.engine.remoteJoin('#x', sam);
    await deliverAll(t);
    expect(bob.of('joined').find((j) => j.nick === 'sam')).toEqual({ type: 'joined', room: '#x', nick: 'sam', ts: expect.any(Number), account: 'sam' });

    // Logged out; a login event for someone not known in a room changes nothing there.
    for (const c of [alice, bob]) c.clear();
    t.engine.remoteLogin(rina, undefined, ['#x', '#y']);
    t.engine.remoteLogin({ ...t.engine.remoteMember('rina'), sid: 'node-b:earlier' }, 'Mallory', ['#x']);
    await deliverAll(t);
    expect(alice.got).toEqual([{ type: 'login', nick: 'rina' }]);
    expect(await who(t, bob, '#x')).toMatchObject({ users: ['alice', 'bob', 'rina', 'sam'], accounts: [null, null, null, 'sam'] });
    expect(await who(t, bob, '#y')).not.toHaveProperty('accounts');
  });
});

describe('roles of members on other nodes', () => {
  it('go by the account each is logged in to, whatever its nick; a guest named like an account holds none', async () => {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    alice.send({ type: 'join', room: '#r' });
    await settle();
    await deliverAll(t);
    await t.engine.updatePolicy('#r', '#r', (p) => ({ ...p, ops: ['rita'], voiced: ['sam'] }));
    await deliverAll(t);
    alice.clear();

    // rina is logged in to the operator account Rita; sam is a guest under the voiced account's nick (as
    // after dropping it).
    const rina = { ...t.engine.remoteMember('rina'), account: 'Rita' };
    const sam = t.engine.remoteMember('sam');
    t.engine.remoteJoin('#r', rina);
    t.engine.remoteJoin('#r', sam);
    await deliverAll(t);
    expect(alice.of('joined')).toEqual([
      { type: 'joined', room: '#r', nick: 'rina', ts: expect.any(Number), account: 'Rita', role: 'op' },
      { type: 'joined', room: '#r', nick: 'sam', ts: expect.any(Number) },
    ]);
    const listed = await who(t, alice, '#r');
    expect(listed).toMatchObject({ users: ['alice', 'rina', 'sam'], ops: ['rina'] });
    expect(listed).not.toHaveProperty('voiced');

    // A change of the account's role reaches the member that holds it under another nick; the guest none.
    await t.engine.updatePolicy('#r', '#r', (p) => ({ ...p, ops: [], voiced: ['sam', 'rita'] }));
    await deliverAll(t);
    expect(alice.of('role')).toEqual([{ type: 'role', room: '#r', nick: 'rina', role: 'voice', was: 'op' }]);
    expect(await who(t, alice, '#r')).toMatchObject({ voiced: ['rina'] });
  });
});

describe('a login of a member on another node into an account with a role', () => {
  it('shows the role after the login, and its loss on logging out; rooms where nothing changed say nothing more', async () => {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    for (const room of ['#r', '#plain']) alice.send({ type: 'join', room });
    await settle();
    await deliverAll(t);
    await t.engine.updatePolicy('#r', '#r', (p) => ({ ...p, voiced: ['rita'] }));
    await deliverAll(t);
    const rina = t.engine.remoteMember('rina');
    for (const room of ['#r', '#plain']) t.engine.remoteJoin(room, rina);
    await deliverAll(t);
    alice.clear();

    const loggedIn = t.engine.remoteLogin(rina, 'Rita', ['#r', '#plain']);
    await deliverAll(t);
    expect(alice.got).toEqual([
      { type: 'login', nick: 'rina', account: 'Rita' },
      { type: 'role', room: '#r', nick: 'rina', role: 'voice', was: 'none' },
    ]);
    expect(await who(t, alice, '#r')).toMatchObject({ voiced: ['rina'] });

    t.engine.remoteLogin(loggedIn, undefined, ['#r', '#plain']);
    await deliverAll(t);
    expect(alice.got).toEqual([
      { type: 'login', nick: 'rina' },
      { type: 'role', room: '#r', nick: 'rina', role: 'none', was: 'voice' },
    ]);
    expect(await who(t, alice, '#r')).not.toHaveProperty('voiced');
  });
});

describe('seq holes', () => {
  /** alice in #lobby with message 1 delivered; rita's 2 and 3 committed; 2 lost from the bus. */
  async function withHole() {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    const bob = await register(t, 'bob');
    bob.send({ type: 'join', room: '#other' });
    await settle();
    await deliverAll(t);
    await request(alice, { type: 'say', room: '#lobby', text: 'one' });
    await deliverAll(t);
    t.engine.remoteSay('#lobby', 'rita', 'two');
    t.engine.remoteSay('#lobby', 'rita', 'three');
    t.engine.take((e) => e.kind === 'msg' && e.message.seq === 2);
    alice.clear();
    bob.clear();
    return { t, alice, bob };
  }

  it('a message after a hole waits while the missing ones are read from the engine; order and acks are kept', async () => {
    const { t, alice, bob } = await withHole();
    await request(alice, { type: 'say', room: '#lobby', text: 'four', ref: 'r4' });
    t.engine.remoteSay('#other', 'rita', 'elsewhere');
    t.engine.hold('page');
    await deliverAll(t);

    // #lobby's events wait for the page; #other's do not.
    expect(t.engine.callsOf('page')).toEqual([['#lobby', '#lobby', 3, expect.any(Number)]]);
    expect(alice.got).toEqual([]);
    expect(texts(bob, '#other')).toEqual(['elsewhere']);

    t.engine.release('page');
    await settle();
    expect(alice.got.map((m) => (m.type === 'message' ? m.seq : m.type))).toEqual([2, 3, 4, 'ack']);
    expect(alice.of('ack')[0]).toMatchObject({ ref: 'r4', seq: 4 });
    expect(texts(bob)).toEqual(['two', 'three', 'four']);
    expect(t.logs.filter((r) => r.msg.includes('seq gap'))).toHaveLength(1);

    // Later messages go straight through.
    t.engine.remoteSay('#lobby', 'rita', 'five');
    await deliverAll(t);
    expect(texts(alice)).toEqual(['two', 'three', 'four', 'five']);
    expect(t.engine.callsOf('page')).toHaveLength(1);
  });

  it('a hole the engine no longer holds is skipped once, not retried', async () => {
    const { t, alice } = await withHole();
    t.engine.room('#lobby').log.splice(1, 1); // trimmed from the log too
    await deliverAll(t);
    expect(texts(alice)).toEqual(['three']);

    t.engine.remoteSay('#lobby', 'rita', 'four');
    await deliverAll(t);
    expect(texts(alice)).toEqual(['three', 'four']);
    expect(t.engine.callsOf('page')).toHaveLength(1);
    expect(t.logs.filter((r) => r.msg.includes('seq gap'))).toHaveLength(1);
  });

  it('a hole the engine cannot be read for now is skipped once, and the room goes on', async () => {
    const { t, alice } = await withHole();
    t.engine.failNext('page', new Error('redis is down'));
    await deliverAll(t);
    expect(texts(alice)).toEqual(['three']);
    expect(t.logs.filter((r) => r.msg.includes('could not read a room'))).toHaveLength(1);

    t.engine.remoteSay('#lobby', 'rita', 'four');
    await deliverAll(t);
    expect(texts(alice)).toEqual(['three', 'four']);
    expect(t.engine.callsOf('page')).toHaveLength(1);
  });

  it('pages back as far as the hole goes when it is longer than a page', async () => {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    alice.clear();
    for (let i = 1; i <= 450; i++) t.engine.remoteSay('#lobby', 'rita', `m${i}`);
    t.engine.take((e) => e.kind === 'msg' && e.message.seq < 450);
    await deliverAll(t);
    expect(alice.of('message').map((m) => m.seq)).toEqual(Array.from({ length: 450 }, (_, i) => i + 1));
    expect(t.engine.callsOf('page').length).toBeGreaterThan(1);
  });
});

describe('resync', () => {
  it('replaces each room\'s remote members and delivers what was missed, before the events that follow', async () => {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    const rita = t.engine.remoteMember('rita');
    t.engine.remoteJoin('#lobby', rita);
    await deliverAll(t);
    alice.clear();

    // Trimmed from the bus under this node: rita left, ron came and spoke, the topic changed.
    t.engine.remotePart('#lobby', rita);
    const ron = t.engine.remoteMember('ron', 'node-c');
    t.engine.remoteJoin('#lobby', ron);
    t.engine.remoteSay('#lobby', 'ron', 'missed');
    t.engine.room('#lobby').topic = 'new topic';
    t.engine.take(() => true);

    t.engine.hold('openRoom');
    t.engine.inject({ kind: 'resync' });
    t.engine.remoteSay('#lobby', 'ron', 'after');
    await deliverAll(t);
    expect(alice.got).toEqual([]);

    t.engine.release('openRoom');
    await settle();
    expect(texts(alice)).toEqual(['missed', 'after']);
    expect(await who(t, alice, '#lobby')).toEqual({ type: 'who', room: '#lobby', users: ['alice', 'ron'], total: 2, topic: 'new topic' });
    expect(t.hub.rooms.sortedList()).toEqual([{ name: '#lobby', users: 2, topic: 'new topic' }]);
  });

  it('asked for while a room is being read, runs after that read: nothing lost meanwhile stays lost', async () => {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    await request(alice, { type: 'say', room: '#lobby', text: 'one' });
    await deliverAll(t);
    alice.clear();
    // A hole (2 lost) makes the hub read #lobby's log; while it reads, 4 is lost too, and then the bus
    // says events were trimmed. The last message lost has nothing after it to show its hole.
    t.engine.remoteSay('#lobby', 'rita', 'two');
    t.engine.remoteSay('#lobby', 'rita', 'three');
    t.engine.take((e) => e.kind === 'msg' && e.message.seq === 2);
    t.engine.hold('page');
    await deliverAll(t);
    t.engine.remoteSay('#lobby', 'rita', 'four');
    t.engine.take(() => true);
    t.engine.inject({ kind: 'resync' });
    await deliverAll(t);
    t.engine.release('page');
    await settle();
    expect(texts(alice)).toEqual(['two', 'three', 'four']);
  });
});

describe('fencing', () => {
  it('closes every session with bye shutdown', async () => {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    const bob = await register(t, 'bob');
    const unregistered = t.connect();
    t.engine.sink.fenced('lease lost');
    expect([alice.bye, bob.bye, unregistered.bye]).toEqual(['shutdown', 'shutdown', 'shutdown']);
    expect(t.hub.sessions.size).toBe(0);
    expect(t.logged('lost its place')).toHaveLength(1);
  });

  it('never stores what was said under the lost identity, even once the node carries on under a new one', async () => {
    const t = await scriptedHub();
    const zombie = await register(t, 'zombie');
    zombie.send({ type: 'say', room: '#lobby', text: 'from beyond', ref: 'z' });
    // Fenced in the same turn, before the batch goes to the engine.
    t.engine.sink.fenced('lease lost');
    await settle();
    expect(t.engine.callsOf('append')).toEqual([]);
    expect(zombie.bye).toBe('shutdown');
  });
});

describe('presence in a busy room', () => {
  it(`is held ${PRESENCE_WINDOW_MS} ms and sent together, except to the joiner; a message flushes it first`, async () => {
    const t = await scriptedHub();
    const members: FakeClient[] = [];
    for (let i = 0; i < PRESENCE_BATCH_MEMBERS - 1; i++) members.push(await register(t, `m${i}`));
    for (const m of members) m.clear();

    const late = await register(t, 'late');
    expect(late.types()).toEqual(['welcome', 'joined', 'history', 'who']);
    expect(members[0]!.got).toEqual([]);
    await vi.advanceTimersByTimeAsync(PRESENCE_WINDOW_MS - 1);
    expect(members[0]!.got).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    for (const m of members) expect(m.got).toEqual([{ type: 'joined', room: '#lobby', nick: 'late', ts: expect.any(Number) }]);
    for (const m of members) m.clear();
    late.clear();

    // Two more joins are held; a message goes out after them, without waiting for the window.
    const rita = t.engine.remoteMember('rita');
    t.engine.remoteJoin('#lobby', rita);
    t.engine.remoteJoin('#lobby', t.engine.remoteMember('ron'));
    await deliverAll(t);
    expect(late.got).toEqual([]);
    t.engine.remoteSay('#lobby', 'rita', 'hi all');
    await deliverAll(t);
    expect(late.got.map((m) => (m.type === 'joined' ? m.nick : m.type))).toEqual(['rita', 'ron', 'message']);
    await vi.advanceTimersByTimeAsync(PRESENCE_WINDOW_MS);
    expect(late.got).toHaveLength(3);
  });
});
