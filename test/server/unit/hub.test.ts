/**
 * The hub's requests in process, over a scripted engine: what each request answers, and that it answers
 * only once the engine's event for it has been applied. Fake peers, a real dispatcher and input gate.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../../shared/errors.js';
import type { ChatMessage } from '../../../shared/protocol.js';
import { EngineError, type EngineEvent } from '../../../server/engine/engine.js';
import { CONFIG, deliverAll, register, request, scriptedHub, settle, type FakeClient } from './harness.js';

beforeEach(() => { vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }); });
afterEach(() => { vi.useRealTimers(); });

const kinds = (events: EngineEvent[]) => events.map((e) => e.kind);
const seqs = (messages: ChatMessage[]) => messages.map((m) => m.seq);
const liveSeqs = (c: FakeClient, room: string) => c.of('message').filter((m) => m.room === room).map((m) => m.seq);

describe('say', () => {
  it('is delivered, and acked after the message, only when its msg event is applied', async () => {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    const bob = await register(t, 'bob');
    alice.clear();
    bob.clear();

    await request(alice, { type: 'say', room: '#lobby', text: 'hello', ref: 'r1' });
    expect(t.engine.callsOf('append')).toHaveLength(1);
    expect(kinds(t.engine.bus)).toEqual(['msg']);
    expect(alice.got).toEqual([]);
    expect(bob.got).toEqual([]);

    await deliverAll(t);
    expect(alice.types()).toEqual(['message', 'ack']);
    const [message] = alice.of('message');
    expect(message).toMatchObject({ room: '#lobby', from: 'alice', text: 'hello', seq: 1 });
    expect(alice.of('ack')).toEqual([{ type: 'ack', ref: 'r1', id: message!.id, seq: 1, ts: message!.ts }]);
    expect(bob.got).toEqual([message]);
  });

  it('is answered INTERNAL with its ref, and neither delivered nor acked, when the append fails', async () => {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    const bob = await register(t, 'bob');
    alice.clear();
    bob.clear();

    t.engine.failNext('append', new EngineError('the log is full'));
    await request(alice, { type: 'say', room: '#lobby', text: 'lost', ref: 'r1' });
    await deliverAll(t);
    expect(alice.got).toEqual([{ type: 'error', code: ErrorCode.INTERNAL, message: expect.stringContaining('the log is full'), ref: 'r1' }]);
    expect(bob.got).toEqual([]);

    // The connection goes on, and the next message is stored and acked.
    alice.clear();
    await request(alice, { type: 'say', room: '#lobby', text: 'again', ref: 'r2' });
    await deliverAll(t);
    expect(alice.types()).toEqual(['message', 'ack']);
    expect(alice.of('ack')[0]!.ref).toBe('r2');
  });

  it('waiting behind a batch in doubt while the store is unreachable, is refused at once; the batch in doubt is not', async () => {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    alice.clear();
    t.engine.hold('append');
    await request(alice, { type: 'say', room: '#lobby', text: 'in doubt', ref: 'r1' });
    expect(t.engine.callsOf('append')).toHaveLength(1);
    t.engine.reachable = false;
    await request(alice, { type: 'say', room: '#lobby', text: 'behind it', ref: 'r2' });
    await settle();
    expect(alice.got).toEqual([{ type: 'error', code: ErrorCode.INTERNAL, message: expect.stringContaining('unreachable'), ref: 'r2' }]);
    expect(t.engine.callsOf('append')).toHaveLength(1);
    // Back: the batch in doubt settles as stored, and is delivered and acked.
    t.engine.reachable = true;
    t.engine.release('append');
    await settle();
    await deliverAll(t);
    expect(alice.of('ack').map((a) => a.ref)).toEqual(['r1']);
  });

  it('is refused NOT_IN_ROOM for a room the sender is not in, and nothing is appended', async () => {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    alice.clear();
    await request(alice, { type: 'say', room: '#elsewhere', text: 'hi', ref: 'r1' });
    expect(alice.got).toEqual([{ type: 'error', code: ErrorCode.NOT_IN_ROOM, message: expect.any(String), ref: 'r1' }]);
    expect(t.engine.callsOf('append')).toEqual([]);
  });
});

describe('join', () => {
  it('answers joined, history and who only when its event arrives, and the next request waits for it', async () => {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    alice.clear();

    alice.send({ type: 'join', room: '#den' });
    alice.send({ type: 'say', room: '#den', text: 'first', ref: 's1' });
    await settle();
    expect(alice.got).toEqual([]);
    expect(kinds(t.engine.bus)).toEqual(['join']);
    // Were the say handled now, it would be refused: alice is not in #den until the event is applied.
    expect(t.engine.callsOf('append')).toEqual([]);

    await deliverAll(t);
    expect(alice.types()).toEqual(['joined', 'history', 'who']);
    expect(alice.of('who')).toEqual([{ type: 'who', room: '#den', users: ['alice'], total: 1 }]);
    expect(kinds(t.engine.bus)).toEqual(['msg']);

    await deliverAll(t);
    expect(alice.types()).toEqual(['joined', 'history', 'who', 'message', 'ack']);
  });

  it.each([
    ['after a message it was committed behind', true],
    ['before a message committed after it', false],
  ])('gives history up to its event\'s seq and later messages live exactly once (join %s)', async (_, joinLast) => {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    const bob = await register(t, 'bob');
    alice.send({ type: 'join', room: '#den' });
    await settle();
    await deliverAll(t);
    for (const text of ['one', 'two']) {
      await request(alice, { type: 'say', room: '#den', text });
      await deliverAll(t);
    }
    bob.clear();

    // On the bus: alice's third message and bob's join, in either order, then another node's message.
    if (joinLast) await request(alice, { type: 'say', room: '#den', text: 'three' });
    await request(bob, { type: 'join', room: '#den' });
    if (!joinLast) await request(alice, { type: 'say', room: '#den', text: 'three' });
    t.engine.remoteSay('#den', 'rita', 'four');
    const join = t.engine.bus.find((e) => e.kind === 'join')!;
    const joinSeq = joinLast ? 3 : 2;
    expect(join).toMatchObject({ seq: joinSeq });

    await deliverAll(t);
    const history = bob.of('history').find((h) => h.room === '#den')!;
    expect(seqs(history.messages)).toEqual([1, 2, 3].filter((s) => s <= joinSeq));
    expect(liveSeqs(bob, '#den')).toEqual([3, 4].filter((s) => s > joinSeq));
    expect(liveSeqs(alice, '#den')).toEqual([1, 2, 3, 4]);
  });

  it('makes the hub part a local session again when its join event arrives after the session closed', async () => {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    const bob = await register(t, 'bob');
    bob.send({ type: 'join', room: '#den' });
    await settle();
    await deliverAll(t);
    bob.clear();

    alice.send({ type: 'join', room: '#den' });
    await settle();
    const sid = alice.session.id;
    alice.drop();
    await deliverAll(t); // alice's join, then the part the hub asks for, then alice's lobby part
    await deliverAll(t);

    expect(t.engine.callsOf('part')).toContainEqual([
      '#den', '#den', { node: 'node-a', sid, nick: 'alice' }, 'connection closed',
    ]);
    expect(t.engine.room('#den').members.map((m) => m.nick)).toEqual(['bob']);
    // bob never saw alice as a member of #den: no joined, and her left is not announced under her name twice.
    expect(bob.of('joined').filter((j) => j.room === '#den')).toEqual([]);
  });

  it.each([
    ['its session still open', false],
    ['its session closed meanwhile', true],
  ])('is taken back when its event comes after the request gave up and the room was let go (%s)', async (_, closes) => {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    alice.clear();

    alice.send({ type: 'join', room: '#den', ref: 'j1' });
    await settle();
    const late = t.engine.take((e) => e.kind === 'join');
    if (closes) alice.drop();
    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
    if (!closes) expect(alice.got).toEqual([{ type: 'error', code: ErrorCode.INTERNAL, message: expect.any(String), ref: 'j1' }]);
    expect(t.hub.room('#den')).toBeUndefined();

    // The cluster has alice in #den, but she was told it failed (or is gone) and this node no longer
    // serves #den: nothing here would ever part her, and every node would list her there.
    t.engine.inject(...late);
    await settle();
    expect(t.engine.room('#den').members).toEqual([]);
    expect(alice.session.rooms.map((r) => r.name)).toEqual(closes ? [] : ['#lobby']);
  });
});

describe('requests that wait for their event', () => {
  it('are answered INTERNAL after 10 s without it, and the session works afterwards', async () => {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    alice.clear();

    alice.send({ type: 'part', room: '#lobby', ref: 'p1' });
    alice.send({ type: 'ping', ref: 'after' });
    await settle();
    t.engine.take((e) => e.kind === 'part'); // never comes back
    await vi.advanceTimersByTimeAsync(9_999);
    await settle();
    expect(alice.got).toEqual([]);

    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(alice.got).toEqual([
      { type: 'error', code: ErrorCode.INTERNAL, message: expect.stringContaining('did not confirm'), ref: 'p1' },
      { type: 'pong', ref: 'after' },
    ]);

    alice.clear();
    await request(alice, { type: 'say', room: '#lobby', text: 'still here', ref: 's1' });
    await deliverAll(t);
    expect(alice.types()).toEqual(['message', 'ack']);
  });

  it('a failed engine call answers at once with its error, not after the timeout', async () => {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    alice.clear();
    t.engine.failNext('join', new Error('redis is down'));
    alice.send({ type: 'join', room: '#den', ref: 'j1' });
    alice.send({ type: 'ping', ref: 'after' });
    await settle();
    expect(alice.got).toEqual([
      { type: 'error', code: ErrorCode.INTERNAL, message: expect.any(String), ref: 'j1' },
      { type: 'pong', ref: 'after' },
    ]);
    // The room opened for the join is let go.
    expect(t.hub.room('#den')).toBeUndefined();
  });
});

describe('nick', () => {
  it('a rename event for a session that closed meanwhile releases the new nick', async () => {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    alice.send({ type: 'nick', nick: 'alicia' });
    await settle();
    expect(t.engine.nicks.get('alicia')).toBe(alice.session.id);
    alice.drop();
    await deliverAll(t);
    expect(t.engine.nicks.has('alicia')).toBe(false);
    expect(t.engine.nicks.has('alice')).toBe(false);
    await register(t, 'Alicia');
  });

  it('a local rename is answered when its event is applied, once to each member sharing a room', async () => {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    const bob = await register(t, 'bob');
    alice.send({ type: 'join', room: '#den' });
    bob.send({ type: 'join', room: '#den' });
    await settle();
    await deliverAll(t);
    alice.clear();
    bob.clear();

    await request(alice, { type: 'nick', nick: 'alicia', ref: 'n1' });
    expect(alice.got).toEqual([]);
    await deliverAll(t);
    expect(alice.got).toEqual([{ type: 'nick', old: 'alice', new: 'alicia' }]);
    expect(bob.got).toEqual([{ type: 'nick', old: 'alice', new: 'alicia' }]);
  });

  it('a taken nick is refused NICK_TAKEN with no event', async () => {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    await register(t, 'bob');
    alice.clear();
    await request(alice, { type: 'nick', nick: 'BOB', ref: 'n1' });
    expect(alice.got).toEqual([{ type: 'error', code: ErrorCode.NICK_TAKEN, message: expect.any(String), ref: 'n1' }]);
    expect(t.engine.bus).toEqual([]);
  });
});

describe('registration', () => {
  it('closes a connection that has not said hello within the registration timeout', async () => {
    const t = await scriptedHub();
    const silent = t.connect();
    const alice = await register(t, 'alice');
    await vi.advanceTimersByTimeAsync(CONFIG.registrationTimeoutMs - 1);
    expect(silent.bye).toBeNull();
    await vi.advanceTimersByTimeAsync(1);
    expect(silent.bye).toBe('registration timeout');
    expect(t.hub.sessions.has(silent.session.id)).toBe(false);
    expect(alice.bye).toBeNull();
  });
});

describe('rooms and who', () => {
  it('rooms lists the engine\'s directory when the engine is shared', async () => {
    const t = await scriptedHub({ shared: true });
    const alice = await register(t, 'alice');
    alice.clear();
    t.engine.directory = [
      { name: '#busy', users: 40, topic: 'on another node' },
      { name: '#lobby', users: 12, topic: '' },
    ];
    await request(alice, { type: 'rooms' });
    expect(alice.got).toEqual([{ type: 'rooms', rooms: t.engine.directory, total: 2, more: false }]);
  });

  it('rooms lists the rooms served here when the engine is not shared', async () => {
    const t = await scriptedHub({ shared: false });
    const alice = await register(t, 'alice');
    alice.send({ type: 'join', room: '#den' });
    await settle();
    await deliverAll(t);
    alice.clear();
    await request(alice, { type: 'rooms' });
    expect(alice.got).toEqual([{
      type: 'rooms', total: 2, more: false,
      rooms: [{ name: '#den', users: 1, topic: '' }, { name: '#lobby', users: 1, topic: '' }],
    }]);
  });

  it('who for a room not served here asks the engine when shared', async () => {
    const t = await scriptedHub({ shared: true });
    const alice = await register(t, 'alice');
    t.engine.remoteJoin('#far', t.engine.remoteMember('rita'));
    await deliverAll(t); // not served here: ignored
    alice.clear();
    await request(alice, { type: 'who', room: '#far' });
    expect(alice.got).toEqual([{ type: 'who', room: '#far', users: ['rita'], total: 1 }]);
    expect(t.engine.callsOf('openRoom').map((args) => args[0])).toContain('#far');
  });

  it('who for a room not served here is empty when not shared, without asking the engine', async () => {
    const t = await scriptedHub({ shared: false });
    const alice = await register(t, 'alice');
    alice.clear();
    const opened = t.engine.callsOf('openRoom').length;
    await request(alice, { type: 'who', room: '#far' });
    expect(alice.got).toEqual([{ type: 'who', room: '#far', users: [], total: 0 }]);
    expect(t.engine.callsOf('openRoom')).toHaveLength(opened);
  });
});

describe('dm', () => {
  async function pair() {
    const t = await scriptedHub();
    const alice = await register(t, 'alice');
    const bob = await register(t, 'bob');
    alice.clear();
    bob.clear();
    return { t, alice, bob };
  }

  it('delivered: the target gets it and the sender its copy with the ref', async () => {
    const { alice, bob } = await pair();
    await request(alice, { type: 'dm', to: 'BOB', text: 'psst', ref: 'd1' });
    expect(bob.got).toEqual([{ type: 'dm', id: expect.any(String), from: 'alice', to: 'bob', text: 'psst', ts: expect.any(Number) }]);
    expect(alice.got).toEqual([{ ...bob.got[0], ref: 'd1' }]);
  });

  it('delivered on another node: only the sender\'s copy here, with the ref', async () => {
    const { t, alice, bob } = await pair();
    t.engine.dmOutcome = 'delivered';
    await request(alice, { type: 'dm', to: 'rita', text: 'psst', ref: 'd1' });
    expect(alice.got).toEqual([{ type: 'dm', id: expect.any(String), from: 'alice', to: 'rita', text: 'psst', ts: expect.any(Number), ref: 'd1' }]);
    expect(bob.got).toEqual([]);
  });

  it('no-such-user is NO_SUCH_USER with the ref', async () => {
    const { t, alice } = await pair();
    t.engine.dmOutcome = 'no-such-user';
    await request(alice, { type: 'dm', to: 'nobody', text: 'psst', ref: 'd1' });
    expect(alice.got).toEqual([{ type: 'error', code: ErrorCode.NO_SUCH_USER, message: expect.any(String), ref: 'd1' }]);
  });

  it('busy is RATE_LIMITED with the ref', async () => {
    const { t, alice } = await pair();
    t.engine.dmOutcome = 'busy';
    await request(alice, { type: 'dm', to: 'rita', text: 'psst', ref: 'd1' });
    expect(alice.got).toEqual([{ type: 'error', code: ErrorCode.RATE_LIMITED, message: expect.any(String), ref: 'd1' }]);
  });

  it('a target here with a backlog is busy: RATE_LIMITED, and the target gets nothing', async () => {
    const { alice, bob } = await pair();
    bob.backlog = CONFIG.maxBufferedBytes;
    await request(alice, { type: 'dm', to: 'bob', text: 'psst', ref: 'd1' });
    expect(alice.got).toEqual([{ type: 'error', code: ErrorCode.RATE_LIMITED, message: expect.any(String), ref: 'd1' }]);
    expect(bob.got).toEqual([]);
  });

  it('to oneself goes only to the sender, without the engine', async () => {
    const { t, alice, bob } = await pair();
    await request(alice, { type: 'dm', to: 'ALICE', text: 'note to self', ref: 'd1' });
    expect(alice.got).toEqual([{ type: 'dm', id: expect.any(String), from: 'alice', to: 'alice', text: 'note to self', ts: expect.any(Number), ref: 'd1' }]);
    expect(bob.got).toEqual([]);
    expect(t.engine.callsOf('sendDm')).toEqual([]);
  });
});
