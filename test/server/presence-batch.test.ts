/**
 * Joins and parts in a busy room are held briefly and sent as one write per member. Unit level: what
 * each member is handed. End to end: what each client reads, and in which order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../shared/protocol.js';
import { PRESENCE_BATCH_MEMBERS } from '../../server/hub.js';
import { Outgoing, OutgoingBatch } from '../../server/outgoing.js';
import { TokenBucket } from '../../server/rate-limit.js';
import { Room } from '../../server/room.js';
import { Session, type Peer } from '../../server/session.js';
import { User } from '../../server/user.js';
import { JsonClient } from '../helpers/clients.js';
import { removeDir, startServer, type RunningServer } from '../helpers/server.js';

/** A peer that keeps what it is handed, as the hub hands it over. */
class RecordingPeer implements Peer {
  readonly kind = 'tcp-json';
  readonly remote = 'test';
  readonly handed: Outgoing[] = [];
  deliver(out: Outgoing): void { this.handed.push(out); }
  outputBacklog(): number { return 0; }
  close(): void {}
}

/** A user on one connection that records what it is handed. */
function member(nick: string): User & { handed: Outgoing[] } {
  const user = new User(nick);
  const peer = new RecordingPeer();
  user.attach(new Session(nick, peer, new TokenBucket(0, 1), new TokenBucket(0, 1), user));
  user.nick = nick;
  return Object.assign(user, { handed: peer.handed });
}

const joined = (nick: string) => new Outgoing({ type: 'joined', room: '#r', nick, ts: 1 });
const lines = (out: Outgoing) => out.line.toString().trimEnd().split('\n').map((l) => JSON.parse(l) as ServerMessage);

describe('a room holding presence', () => {
  it('hands each member one batch; a joiner gets only what came after its own join', () => {
    const room = new Room('#r', '#r', 0, [], new TokenBucket(0, 1));
    const old = member('old');
    const a = member('a');
    const b = member('b');
    room.add(old);
    expect(room.holdPresence(joined('a'), a)).toBe(true);
    room.add(a);
    expect(room.holdPresence(joined('b'), b)).toBe(false);
    room.add(b);
    expect(old.handed).toEqual([]);

    expect(room.flushPresence()).toBe(2 + 1);
    expect(old.handed).toHaveLength(1);
    expect(lines(old.handed[0]!).map((m) => m.type === 'joined' && m.nick)).toEqual(['a', 'b']);
    expect(lines(a.handed[0]!).map((m) => m.type === 'joined' && m.nick)).toEqual(['b']);
    expect(b.handed).toEqual([]);
    expect(room.flushPresence()).toBe(0);
  });

  it('flushes what it holds before a broadcast, so nobody sees a message before the join', () => {
    const room = new Room('#r', '#r', 0, [], new TokenBucket(0, 1));
    const old = member('old');
    const a = member('a');
    room.add(old);
    room.holdPresence(joined('a'), a);
    room.add(a);
    room.broadcast(new Outgoing({ type: 'message', room: '#r', id: 'i', seq: 1, from: 'a', text: 'hi', ts: 1 }));
    expect(old.handed.map((o) => o.messages.map((m) => m.type))).toEqual([['joined'], ['message']]);
    expect(a.handed.map((o) => o.message.type)).toEqual(['message']);
  });

  it('builds every wire form of a batch as the parts back to back', () => {
    const parts = [joined('a'), joined('b')];
    const batch = new OutgoingBatch(parts);
    expect(batch.line).toEqual(Buffer.concat([parts[0]!.line, parts[1]!.line]));
    expect(batch.wsFrame).toEqual(Buffer.concat([parts[0]!.wsFrame, parts[1]!.wsFrame]));
    expect(batch.text((m) => `${m.type}\n`)).toBe('joined\njoined\n');
    expect(batch.after(0)!.parts).toEqual([parts[1]]);
    expect(batch.after(1)).toBeNull();
    // A tail shares the whole batch's bytes and is what its parts would make on their own.
    const three = new OutgoingBatch([joined('a'), joined('b'), joined('c')]);
    const rest = three.after(0)!;
    expect(rest.line).toEqual(new OutgoingBatch(three.parts.slice(1)).line);
    expect(rest.line.buffer).toBe(three.line.buffer);
    expect(rest.wsFrame).toEqual(new OutgoingBatch(three.parts.slice(1)).wsFrame);
    expect(rest.after(0)!.text((m) => `${m.type === 'joined' ? m.nick : ''}\n`)).toBe('c\n');
  });
});

describe.each(['ws', 'tcp'] as const)('a busy room over %s', (kind) => {
  let server: RunningServer;
  beforeAll(async () => { server = await startServer(); });
  afterAll(async () => { await server.stop(); removeDir(server.dataDir); });

  it('announces joins and parts to everyone, in order, once each', async () => {
    const room = '#busy';
    const target = kind === 'ws' ? server.wsUrl : server.tcpPort;
    const crowd: JsonClient[] = [];
    for (let i = 0; i < PRESENCE_BATCH_MEMBERS; i++) {
      const c = await JsonClient.registered(kind, target, `c${i}`);
      c.send({ type: 'join', room });
      await c.next((m) => m.type === 'who' && m.room === room);
      crowd.push(c);
    }
    const newcomers = await Promise.all(['na', 'nb', 'nc'].map((n) => JsonClient.registered(kind, target, n)));
    // One after another, each as soon as the previous one is in: well within one presence window.
    for (const c of newcomers) {
      c.send({ type: 'join', room });
      await c.next((m) => m.type === 'joined' && m.room === room);
    }
    // The last newcomer speaks at once: its join must reach everyone before its message does.
    newcomers[2]!.send({ type: 'say', room, text: 'hi all' });

    const watcher = crowd[0]!;
    await watcher.next((m) => m.type === 'message' && m.room === room);
    const seen = watcher.received.filter((m) => (m.type === 'joined' || m.type === 'message') && m.room === room);
    const after = seen.slice(seen.findIndex((m) => m.type === 'joined' && m.nick === 'na'));
    expect(after.map((m) => (m.type === 'joined' ? m.nick : 'message'))).toEqual(['na', 'nb', 'nc', 'message']);

    // Each newcomer hears of itself once, and of every newcomer after it.
    await newcomers[0]!.next((m) => m.type === 'message' && m.room === room);
    const firstSaw = newcomers[0]!.received.filter((m) => m.type === 'joined' && m.room === room).map((m) => m.type === 'joined' && m.nick);
    expect(firstSaw).toEqual(['na', 'nb', 'nc']);

    newcomers[1]!.send({ type: 'part', room });
    expect(await watcher.next((m) => m.type === 'left' && m.room === room)).toMatchObject({ nick: 'nb' });
    expect(await newcomers[1]!.next((m) => m.type === 'left' && m.room === room)).toMatchObject({ nick: 'nb' });
    expect(await newcomers[1]!.none((m) => m.type === 'left' && m.room === room)).toBe(true);

    for (const c of [...crowd, ...newcomers]) c.close();
  });
});

describe('a member who did not join through the held presence', () => {
  const left = (nick: string) => new Outgoing({ type: 'left', room: '#r', nick });

  it('gets only what is held after it (a rejoin above the announce limit is told alone)', () => {
    const room = new Room('#r', '#r', 0, [], new TokenBucket(0, 1));
    const old = member('old');
    const m = member('m');
    const a = member('a');
    room.add(old);
    room.add(m);
    // m parts (held for the others), a joins (held), then m rejoins with the room above the limit: the
    // hub tells only m, so nothing of it is held. m's who lists a; m must not hear its own part again.
    room.remove(m);
    room.holdPresence(left('m'));
    room.add(a);
    room.holdPresence(joined('a'), a);
    room.add(m);

    room.flushPresence();
    expect(m.handed).toEqual([]);
    expect(lines(old.handed[0]!).map((x) => x.type)).toEqual(['left', 'joined']);
  });
});

describe('held presence at the announce limit', () => {
  const LIMIT = PRESENCE_BATCH_MEMBERS + 1;
  let server: RunningServer;
  beforeAll(async () => { server = await startServer({ args: ['--announce-limit', String(LIMIT)] }); });
  afterAll(async () => { await server.stop(); removeDir(server.dataDir); });

  async function crowdIn(room: string, prefix: string, n: number): Promise<JsonClient[]> {
    const crowd: JsonClient[] = [];
    for (let i = 0; i < n; i++) {
      const c = await JsonClient.registered('tcp', server.tcpPort, `${prefix}${i}`);
      c.send({ type: 'join', room });
      await c.next((m) => m.type === 'who' && m.room === room);
      crowd.push(c);
    }
    return crowd;
  }

  it('does not send a member that rejoined above the limit its own part, nor joins it has in its who', async () => {
    const room = '#edge';
    const crowd = await crowdIn(room, 'e', LIMIT - 1);
    const m = await JsonClient.registered('tcp', server.tcpPort, 'mm');
    const a = await JsonClient.registered('tcp', server.tcpPort, 'aa');
    m.send({ type: 'join', room });
    await m.next((x) => x.type === 'who' && x.room === room);
    // LIMIT members. m parts (announced, held), a joins (at the limit: announced, held), m rejoins
    // (above the limit: only m is told), all inside one presence window.
    m.send({ type: 'part', room });
    await m.next((x) => x.type === 'left' && x.room === room);
    a.send({ type: 'join', room });
    await a.next((x) => x.type === 'joined' && x.room === room);
    const rejoinAt = m.received.length;
    m.send({ type: 'join', room });
    await m.next((x) => x.type === 'who' && x.room === room && x.total === LIMIT + 1);
    // The held part and join reach the crowd in one flush, which hands m whatever it hands m; m's pong
    // is written after that flush, so once it arrives m has read everything the flush gave it.
    await crowd[0]!.next((x) => x.type === 'joined' && x.room === room && x.nick === 'aa');
    m.send({ type: 'ping', ref: 'flushed' });
    await m.next((x) => x.type === 'pong' && x.ref === 'flushed');
    const presence = m.received.slice(rejoinAt).filter((x) => (x.type === 'left' || x.type === 'joined') && x.room === room);
    expect(presence.map((x) => `${x.type} ${x.type === 'joined' || x.type === 'left' ? x.nick : ''}`)).toEqual(['joined mm']);
    for (const c of [...crowd, m, a]) c.close();
  });

  it('sends a part held in a room the renamer has left before its nick change', async () => {
    const room = '#renamed';
    const crowd = await crowdIn(room, 'r', PRESENCE_BATCH_MEMBERS);
    const watcher = crowd[0]!;
    const x = await JsonClient.registered('tcp', server.tcpPort, 'xx');
    // watcher and x share the lobby too, so watcher hears x's nick change.
    x.send({ type: 'join', room });
    await watcher.next((m) => m.type === 'joined' && m.room === room && m.nick === 'xx');
    x.send({ type: 'part', room });
    x.send({ type: 'nick', nick: 'yy' });
    await watcher.next((m) => m.type === 'nick' && m.old === 'xx');
    await watcher.next((m) => m.type === 'left' && m.room === room && m.nick === 'xx');
    const order = watcher.received.filter((m) => m.type === 'nick' || (m.type === 'left' && m.room === room)).map((m) => m.type);
    // In the other order a client renames xx in the room's member list, and the part no longer matches.
    expect(order).toEqual(['left', 'nick']);
    for (const c of [...crowd, x]) c.close();
  });
});
