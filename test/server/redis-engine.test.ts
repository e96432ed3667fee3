/**
 * RedisEngine against a real redis-server (test/helpers/redis.ts). Several engines in this one process
 * are several cluster nodes; each has a recording sink in place of the hub.
 */
import { Redis } from 'ioredis';
import { nanoid } from 'nanoid';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { REPLY_MAX_BYTES } from '../../shared/limits.js';
import type { ChatMessage } from '../../shared/protocol.js';
import type { DirectMessage, DmOutcome, DmReceipt, EngineEvent, EngineSink, MemberRef, NewMessage, UserInfo } from '../../server/engine/engine.js';
import { RedisEngine, type RedisEngineOptions } from '../../server/engine/redis-engine.js';
import { messageBytes } from '../../server/reply-size.js';
import { freePort, startRedis, type RunningRedis } from '../helpers/redis.js';

const silent = pino({ level: 'silent' });
const LEASE_MS = 1000;
const WAIT = { timeout: 15_000, interval: 20 };

/** What the hub would do, recorded. Serves every room unless `rooms` is given. */
class RecordingSink implements EngineSink {
  events: EngineEvent[] = [];
  dms: Array<{ to: string; dm: DirectMessage }> = [];
  fencedReasons: string[] = [];
  flushes = 0;
  dmAnswer: DmOutcome = 'delivered';
  /** The target's away text in a delivered DM's receipt. */
  dmAway: string | undefined;
  /** Who this node says holds any nick it is asked about. */
  whoisAnswer: UserInfo | null = null;
  whoisAsked: string[] = [];
  constructor(private readonly rooms?: Set<string>) {}
  serves(roomKey: string): boolean { return !this.rooms || this.rooms.has(roomKey); }
  apply(event: EngineEvent): void { this.events.push(event); }
  flushed(): void { this.flushes++; }
  receiveDm(to: string, dm: DirectMessage): DmReceipt {
    this.dms.push({ to, dm });
    return this.dmAnswer === 'delivered' && this.dmAway !== undefined ? { outcome: 'delivered', away: this.dmAway } : { outcome: this.dmAnswer };
  }
  whois(nickFold: string): UserInfo | null { this.whoisAsked.push(nickFold); return this.whoisAnswer; }
  fenced(reason: string): void { this.fencedReasons.push(reason); }

  messages(roomKey: string): ChatMessage[] {
    return this.events.flatMap((e) => (e.kind === 'msg' && e.roomKey === roomKey ? [e.message] : []));
  }
  of<K extends EngineEvent['kind']>(kind: K, roomKey?: string): Array<Extract<EngineEvent, { kind: K }>> {
    return this.events.filter((e): e is Extract<EngineEvent, { kind: K }> =>
      e.kind === kind && (roomKey === undefined || ('roomKey' in e && e.roomKey === roomKey)));
  }
}

interface Node { engine: RedisEngine; sink: RecordingSink }

const live: RedisEngine[] = [];
afterEach(async () => {
  for (const e of live.splice(0)) await e.crash().catch(() => {});
});

async function startNode(redis: RunningRedis, opts: Partial<RedisEngineOptions> & { rooms?: string[] } = {}): Promise<Node> {
  const engine = new RedisEngine({ url: redis.url, leaseMs: LEASE_MS, busMaxLen: 100_000, historyMax: 0, log: silent, ...opts });
  const sink = new RecordingSink(opts.rooms ? new Set(opts.rooms) : undefined);
  await engine.start(sink);
  live.push(engine);
  return { engine, sink };
}

function room(): string {
  return `#t${nanoid(8).replace(/[^A-Za-z0-9]/g, 'x').toLowerCase()}`;
}

function msg(roomKey: string, text = 'hi', from = 'ann'): NewMessage {
  return { roomKey, room: roomKey, id: nanoid(), from, text };
}

function member(engine: RedisEngine, nick: string): MemberRef {
  return { node: engine.node, sid: nanoid(), nick };
}

/** Every entry of a room log, oldest first, as (seq, id). */
async function logOf(admin: Redis, roomKey: string): Promise<Array<{ seq: number; id: string }>> {
  const entries = (await admin.xrange(`chat:{r:${roomKey}}:log`, '-', '+')) as Array<[string, string[]]>;
  return entries.map(([id, f]) => ({ seq: Number.parseInt(id, 10), id: (JSON.parse(f[1]!) as { id: string }).id }));
}

const seqIds = (ms: ChatMessage[]) => ms.map((m) => `${m.seq}:${m.id}`);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('RedisEngine on one redis-server', () => {
  let redis: RunningRedis;
  let admin: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis({ path: redis.url });
  });
  afterAll(async () => {
    admin.disconnect();
    await redis.stop();
  });

  it('gives every node one seq order per room, contiguous, with ts following seq', async () => {
    const nodes = await Promise.all([startNode(redis), startNode(redis), startNode(redis)]);
    const [r1, r2] = [room(), room()];
    // Each node appends 30 batches of 4 messages over two rooms, all in flight at once.
    await Promise.all(nodes.flatMap(({ engine }) => range(1, 30).map(() =>
      engine.append([msg(r1), msg(r2), msg(r1), msg(r2)]))));
    for (const { sink } of nodes) {
      await vi.waitFor(() => expect(sink.messages(r1)).toHaveLength(180), WAIT);
      await vi.waitFor(() => expect(sink.messages(r2)).toHaveLength(180), WAIT);
    }
    for (const r of [r1, r2]) {
      const first = nodes[0]!.sink.messages(r);
      expect(first.map((m) => m.seq)).toEqual(range(1, 180));
      expect(new Set(first.map((m) => m.id)).size).toBe(180);
      for (let i = 1; i < first.length; i++) expect(first[i]!.ts).toBeGreaterThanOrEqual(first[i - 1]!.ts);
      for (const { sink } of nodes.slice(1)) expect(seqIds(sink.messages(r))).toEqual(seqIds(first));
      expect((await logOf(admin, r)).map((e) => `${e.seq}:${e.id}`)).toEqual(seqIds(first));
    }
    expect(nodes[0]!.sink.flushes).toBeGreaterThan(0);
  });

  it('stores each message once when Redis drops the connections mid-burst (in-flight appends are resent)', async () => {
    const { engine, sink } = await startNode(redis);
    const r = room();
    const resolved: string[] = [];
    const rejected: string[] = [];
    let kills = 0;
    let done = false;
    const burst = async () => {
      while (!done) {
        const batch = range(1, 4).map(() => msg(r));
        const ok = await engine.append(batch).then(() => true, () => false);
        (ok ? resolved : rejected).push(...batch.map((m) => m.id));
        // Refused at once while reconnecting: give the event loop back so ioredis can reconnect.
        if (!ok) await new Promise((res) => setTimeout(res, 5));
      }
    };
    const writers = Promise.all(range(1, 40).map(burst));
    // Ten kills during a burst of 40 writers (the measured duplicate case, design §4).
    for (let k = 1; k <= 10; k++) {
      await vi.waitFor(() => expect(resolved.length).toBeGreaterThanOrEqual(k * 200), WAIT);
      kills += Number(await admin.client('KILL', 'TYPE', 'normal'));
    }
    done = true;
    await writers;
    expect(kills).toBeGreaterThanOrEqual(10);
    const log = await logOf(admin, r);
    const ids = log.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(log.map((e) => e.seq)).toEqual(range(1, log.length));
    const stored = new Set(ids);
    expect(resolved.filter((id) => !stored.has(id))).toEqual([]);
    expect(rejected.filter((id) => stored.has(id))).toEqual([]);
    // The bus reader resumed from where it was: every stored message delivered once, in order.
    await vi.waitFor(() => expect(sink.messages(r)).toHaveLength(log.length), WAIT);
    expect(sink.messages(r).map((m) => m.id)).toEqual(ids);
  });

  it('lets exactly one of 20 concurrent claims of a nick over 3 nodes win', async () => {
    const nodes = await Promise.all([startNode(redis), startNode(redis), startNode(redis)]);
    const nick = `Zed${nanoid(4).replace(/[^A-Za-z0-9]/g, 'x')}`;
    const results = await Promise.all(range(0, 19).map((i) =>
      nodes[i % 3]!.engine.claimNick(i % 2 ? nick : nick.toUpperCase(), nanoid())));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('keeps a crashed holder\'s nick while its lease lives, then frees it', async () => {
    const a = await startNode(redis);
    const dead = await startNode(redis, { leaseMs: 3000 });
    const nick = `Gh${nanoid(5).replace(/[^A-Za-z0-9]/g, 'x')}`;
    expect(await dead.engine.claimNick(nick, 's1')).toBe(true);
    await dead.engine.crash();
    expect(await a.engine.claimNick(nick, 's2')).toBe(false);
    await expect.poll(() => a.engine.claimNick(nick, 's2'), WAIT).toBe(true);
  });

  it('renames: one nick event with the rooms, the old nick freed, the member entry moved', async () => {
    const a = await startNode(redis);
    const b = await startNode(redis);
    const r = room();
    const ann = `Ann${nanoid(4).replace(/[^A-Za-z0-9]/g, 'x')}`;
    const bea = `Bea${nanoid(4).replace(/[^A-Za-z0-9]/g, 'x')}`;
    const m = member(a.engine, ann);
    expect(await a.engine.claimNick(ann, m.sid)).toBe(true);
    await a.engine.join(r, r, m);
    const renamed = { ...m, nick: bea };
    expect(await a.engine.rename(renamed, ann, [r])).toBe(true);
    await vi.waitFor(() => expect(b.sink.of('nick').filter((e) => e.old === ann)).toHaveLength(1), WAIT);
    expect(b.sink.of('nick').find((e) => e.old === ann)).toEqual({ kind: 'nick', member: renamed, old: ann, rooms: [r] });
    expect(await b.engine.claimNick(bea, 'other')).toBe(false);
    expect(await b.engine.claimNick(ann, 'other')).toBe(true);
    expect((await b.engine.openRoom(r, r)).members).toEqual([renamed]);
    // A rename to a taken nick: false, no event.
    expect(await a.engine.rename({ ...renamed, nick: ann }, bea, [r])).toBe(false);
    // A case change of one's own nick is allowed.
    expect(await a.engine.rename({ ...renamed, nick: bea.toUpperCase() }, bea, [r])).toBe(true);
    await vi.waitFor(() => expect(a.sink.of('nick').filter((e) => e.old === bea)).toHaveLength(1), WAIT);
    expect(a.sink.of('nick').filter((e) => e.old === bea)[0]!.member.nick).toBe(bea.toUpperCase());
    expect(a.sink.of('nick').some((e) => e.old === bea && e.member.nick === ann)).toBe(false);
  });

  it('joins and parts: events with the seq at the join, reasons, members in the snapshot', async () => {
    const a = await startNode(redis);
    const b = await startNode(redis);
    const r = room();
    await a.engine.append([msg(r), msg(r), msg(r)]);
    const alice = member(a.engine, 'alice');
    const bob = member(b.engine, 'bob');
    await a.engine.join(r, r, alice);
    await b.engine.join(r, r, bob);
    for (const { sink } of [a, b]) {
      await vi.waitFor(() => expect(sink.of('join', r)).toHaveLength(2), WAIT);
      expect(sink.of('join', r).map((e) => [e.member, e.seq, e.room])).toEqual([[alice, 3, r], [bob, 3, r]]);
    }
    const snap = await b.engine.openRoom(r, r);
    expect(snap.members).toHaveLength(2);
    expect(snap.members).toEqual(expect.arrayContaining([alice, bob]));
    // A join of a member already present emits the join again (the hub waits for it).
    await a.engine.join(r, r, alice);
    await vi.waitFor(() => expect(b.sink.of('join', r)).toHaveLength(3), WAIT);
    expect((await b.engine.openRoom(r, r)).members).toHaveLength(2);

    await b.engine.part(r, r, bob, 'bye now');
    await a.engine.part(r, r, alice);
    await a.engine.part(r, r, alice); // not a member any more: nothing
    await a.engine.part(r, r, member(a.engine, 'nobody'));
    await vi.waitFor(() => expect(a.sink.of('part', r)).toHaveLength(2), WAIT);
    const parts = a.sink.of('part', r);
    expect(parts[0]).toEqual({ kind: 'part', roomKey: r, room: r, member: bob, reason: 'bye now' });
    expect(parts[1]).toEqual({ kind: 'part', roomKey: r, room: r, member: alice });
    expect((await a.engine.openRoom(r, r)).members).toEqual([]);
    // Nothing more came after the two real parts (a later event proves the bus moved on).
    await a.engine.setTopic(r, r, 'after', 'alice');
    await vi.waitFor(() => expect(a.sink.of('topic', r)).toHaveLength(1), WAIT);
    expect(a.sink.of('part', r)).toHaveLength(2);
  });

  it('skips the events of rooms a node does not serve', async () => {
    const [served, other] = [room(), room()];
    const a = await startNode(redis);
    const b = await startNode(redis, { rooms: [served] });
    await a.engine.append([msg(other), msg(served)]);
    await a.engine.join(other, other, member(a.engine, 'x'));
    await a.engine.setTopic(served, served, 't', 'x');
    await vi.waitFor(() => expect(b.sink.of('topic', served)).toHaveLength(1), WAIT);
    expect(b.sink.messages(served)).toHaveLength(1);
    expect(b.sink.events.filter((e) => 'roomKey' in e && e.roomKey === other)).toEqual([]);
  });

  it('snapshots a room with the newest page and pages back to seq 1 with no gap or duplicate', async () => {
    const a = await startNode(redis);
    const r = room();
    for (let i = 0; i < 5; i++) await a.engine.append(range(1, 50).map(() => msg(r)));
    const snap = await a.engine.openRoom(r, r);
    expect(snap.seq).toBe(250);
    expect(snap.recent.messages.map((m) => m.seq)).toEqual(range(51, 250));
    expect(snap.recent.more).toBe(true);
    const back = await a.engine.page(r, r, 51, 200);
    expect(back.messages.map((m) => m.seq)).toEqual(range(1, 50));
    expect(back.more).toBe(false);
    // `more` is exact at the boundary: 50 asked, 50 there.
    expect((await a.engine.page(r, r, 51, 50)).more).toBe(false);
    expect((await a.engine.page(r, r, 52, 50)).more).toBe(true);
    expect(await a.engine.page(r, r, 1, 50)).toEqual({ messages: [], more: false });

    const exact = room();
    await a.engine.append(range(1, 200).map(() => msg(exact)));
    const full = await a.engine.openRoom(exact, exact);
    expect(full.recent.messages).toHaveLength(200);
    expect(full.recent.more).toBe(false);
    const fresh = await a.engine.openRoom(room(), '#Fresh');
    expect(fresh).toMatchObject({ seq: 0, topic: '', members: [], recent: { messages: [], more: false }, name: '#Fresh' });
  });

  it('cuts pages at REPLY_MAX_BYTES like the SQLite store, and pages back through big messages', async () => {
    const a = await startNode(redis);
    const r = room();
    const big = 'é'.repeat(3900); // 7,800 bytes of UTF-8
    for (let i = 0; i < 4; i++) await a.engine.append(range(1, 25).map(() => msg(r, big)));
    const snap = await a.engine.openRoom(r, r);
    const pages = [snap.recent];
    while (pages[pages.length - 1]!.more) {
      pages.push(await a.engine.page(r, r, pages[pages.length - 1]!.messages[0]!.seq, 200));
    }
    expect(pages.length).toBeGreaterThan(2);
    const seqs = pages.reverse().flatMap((p) => p.messages.map((m) => m.seq));
    expect(seqs).toEqual(range(1, 100));
    const bytes = (ms: ChatMessage[]) => ms.reduce((n, m) => n + messageBytes(m), 0);
    for (const p of pages.slice(1)) {
      expect(bytes(p.messages)).toBeLessThanOrEqual(REPLY_MAX_BYTES);
      // The cut is as late as it can be: one more message would not have fit.
      expect(bytes(p.messages) + messageBytes(p.messages[0]!)).toBeGreaterThan(REPLY_MAX_BYTES);
    }
    expect(snap.recent.messages[0]!.text).toBe(big);
  });

  it('sets a topic: one event everywhere, kept for later snapshots and the room list', async () => {
    const a = await startNode(redis);
    const b = await startNode(redis);
    const r = room();
    await a.engine.join(r, '#Topical', member(a.engine, 'ann'));
    await a.engine.setTopic(r, '#Topical', 'all about it', 'ann');
    await vi.waitFor(() => expect(b.sink.of('topic', r)).toHaveLength(1), WAIT);
    expect(b.sink.of('topic', r)[0]).toMatchObject({ room: '#Topical', topic: 'all about it', by: 'ann' });
    expect((await b.engine.openRoom(r, r)).topic).toBe('all about it');
    expect((await b.engine.openRoom(r, r)).name).toBe('#Topical');
    expect((await b.engine.roomDirectory()).find((i) => i.name === '#Topical')).toEqual({ name: '#Topical', users: 1, topic: 'all about it' });
  });

  it('lists every room with members, cluster-wide, largest first', async () => {
    const a = await startNode(redis);
    const b = await startNode(redis);
    const [big, small] = [room(), room()];
    const bob = member(b.engine, 'bob');
    await Promise.all([
      a.engine.join(big, big, member(a.engine, 'a1')), a.engine.join(big, big, member(a.engine, 'a2')),
      b.engine.join(big, big, member(b.engine, 'b1')), b.engine.join(small, small, bob),
    ]);
    const list = await a.engine.roomDirectory();
    const mine = list.filter((i) => i.name === big || i.name === small);
    expect(mine).toEqual([{ name: big, users: 3, topic: '' }, { name: small, users: 1, topic: '' }]);
    const pos = (n: string) => list.findIndex((i) => i.name === n);
    expect(list.every((i, k) => k === 0 || list[k - 1]!.users >= i.users)).toBe(true);
    expect(pos(big)).toBeLessThan(pos(small));
    await b.engine.part(small, small, bob);
    await expect.poll(async () => (await a.engine.roomDirectory()).some((i) => i.name === small), WAIT).toBe(false);
  });

  it('sends DMs to the node holding the nick: delivered, busy, no such user', async () => {
    const a = await startNode(redis);
    const b = await startNode(redis);
    const nick = `Dee${nanoid(4).replace(/[^A-Za-z0-9]/g, 'x')}`;
    const fold = nick.toLowerCase();
    expect(await b.engine.claimNick(nick, 'sb')).toBe(true);
    const dm: DirectMessage = { id: nanoid(), from: 'ann', to: nick, text: 'psst', ts: 1 };
    expect(await a.engine.sendDm(fold, dm)).toEqual({ outcome: 'delivered' });
    expect(b.sink.dms).toEqual([{ to: fold, dm }]);
    expect(a.sink.dms).toEqual([]);
    // The receipt carries the target's away text back to the sender's node.
    b.sink.dmAway = 'at lunch';
    expect(await a.engine.sendDm(fold, dm)).toEqual({ outcome: 'delivered', away: 'at lunch' });
    b.sink.dmAnswer = 'busy';
    expect(await a.engine.sendDm(fold, dm)).toEqual({ outcome: 'busy' });
    expect(await a.engine.sendDm('nobody-here', dm)).toEqual({ outcome: 'no-such-user' });
    // On the same node: straight to its own sink.
    expect(await b.engine.sendDm(fold, dm)).toEqual({ outcome: 'busy' });
    expect(b.sink.dms).toHaveLength(4);
    // The holder's node died (its lease still runs, but nobody listens on its channel).
    await b.engine.crash();
    expect(await a.engine.sendDm(fold, dm)).toEqual({ outcome: 'no-such-user' });
  });

  it('asks the node holding a nick who it is; nobody when no live node holds it', async () => {
    const a = await startNode(redis);
    const b = await startNode(redis);
    const nick = `Who${nanoid(4).replace(/[^A-Za-z0-9]/g, 'x')}`;
    const fold = nick.toLowerCase();
    expect(await b.engine.claimNick(nick, 'sw')).toBe(true);
    b.sink.whoisAnswer = { nick, account: nick, away: 'out' };
    expect(await a.engine.whois(fold)).toEqual({ nick, account: nick, away: 'out' });
    expect(b.sink.whoisAsked).toEqual([fold]);
    expect(a.sink.whoisAsked).toEqual([]);
    // On the holder's node: its own sink.
    expect(await b.engine.whois(fold)).toEqual({ nick, account: nick, away: 'out' });
    expect(b.sink.whoisAsked).toEqual([fold, fold]);
    expect(await a.engine.whois('nobody-at-all')).toBeNull();
    await b.engine.crash();
    expect(await a.engine.whois(fold)).toBeNull();
  });

  it('away: kept for later snapshots, one event naming the rooms, carried on joins; back clears it; a reap forgets it', async () => {
    const a = await startNode(redis);
    const b = await startNode(redis);
    const [r1, r2] = [room(), room()];
    const m = member(b.engine, `Awy${nanoid(4).replace(/[^A-Za-z0-9]/g, 'x')}`);
    const away = { ...m, away: 'at lunch' };
    await b.engine.join(r1, r1, m);
    await b.engine.setAway(away, [r1]);
    for (const node of [a, b]) await vi.waitFor(() => expect(node.sink.of('away')).toEqual([{ kind: 'away', member: away, rooms: [r1] }]), WAIT);
    expect((await a.engine.openRoom(r1, r1)).members).toEqual([away]);
    await b.engine.join(r2, r2, away);
    await vi.waitFor(() => expect(a.sink.of('join', r2).map((e) => e.member)).toEqual([away]), WAIT);
    expect((await a.engine.openRoom(r2, r2)).members).toEqual([away]);
    // Back.
    await b.engine.setAway(m, [r1, r2]);
    await vi.waitFor(() => expect(a.sink.of('away').at(-1)).toEqual({ kind: 'away', member: m, rooms: [r1, r2] }), WAIT);
    expect((await a.engine.openRoom(r1, r1)).members).toEqual([m]);
    expect(await admin.hlen(`chat:node:${b.engine.node}:away`)).toBe(0);
    // Away again, then the node dies: the reaper takes its away texts with its members.
    await b.engine.setAway({ ...m, away: 'gone' }, [r1, r2]);
    const node = b.engine.node;
    expect(await admin.hgetall(`chat:node:${node}:away`)).toEqual({ [m.sid]: 'gone' });
    await b.engine.crash();
    await vi.waitFor(async () => expect(await admin.exists(`chat:node:${node}:away`)).toBe(0), WAIT);
    expect((await a.engine.openRoom(r1, r1)).members).toEqual([]);
  });

  it('account: kept for later snapshots, one login event naming the rooms, carried on joins and messages; logout clears it; a reap forgets it', async () => {
    const a = await startNode(redis);
    const b = await startNode(redis);
    const [r1, r2] = [room(), room()];
    const m = member(b.engine, `Acc${nanoid(4).replace(/[^A-Za-z0-9]/g, 'x')}`);
    const logged = { ...m, account: m.nick };
    await b.engine.join(r1, r1, m);
    await b.engine.setAccount(logged, [r1]);
    for (const node of [a, b]) await vi.waitFor(() => expect(node.sink.of('login')).toEqual([{ kind: 'login', member: logged, rooms: [r1] }]), WAIT);
    expect((await a.engine.openRoom(r1, r1)).members).toEqual([logged]);
    await b.engine.join(r2, r2, logged);
    await vi.waitFor(() => expect(a.sink.of('join', r2).map((e) => e.member)).toEqual([logged]), WAIT);
    await b.engine.append([{ roomKey: r2, room: r2, id: nanoid(), from: m.nick, text: 'signed', account: m.nick }]);
    await vi.waitFor(() => expect(a.sink.of('msg', r2).map((e) => e.message.account)).toEqual([m.nick]), WAIT);
    expect((await a.engine.page(r2, r2, Number.MAX_SAFE_INTEGER, 10)).messages.map((x) => [x.text, x.account])).toEqual([['signed', m.nick]]);
    // Logged out: the snapshot says so. In no room, only the record changes: no event.
    await b.engine.setAccount(m, [r1, r2]);
    await vi.waitFor(() => expect(a.sink.of('login').at(-1)).toEqual({ kind: 'login', member: m, rooms: [r1, r2] }), WAIT);
    expect((await a.engine.openRoom(r1, r1)).members).toEqual([m]);
    expect(await admin.hlen(`chat:node:${b.engine.node}:accounts`)).toBe(0);
    await b.engine.setAccount(logged, []);
    expect((await a.engine.openRoom(r1, r1)).members).toEqual([logged]);
    // The node dies: the reaper takes its accounts with its members.
    const node = b.engine.node;
    expect(await admin.hgetall(`chat:node:${node}:accounts`)).toEqual({ [m.sid]: m.nick });
    await b.engine.crash();
    await vi.waitFor(async () => expect(await admin.exists(`chat:node:${node}:accounts`)).toBe(0), WAIT);
    expect(a.sink.of('login')).toHaveLength(2);
  });

  it('counts users (held nicks), rooms with members and live nodes, cluster-wide', async () => {
    const a = await startNode(redis);
    const b = await startNode(redis);
    const [r1, r2] = [room(), room()];
    const [m1, m2, m3] = [member(a.engine, 'cnt1'), member(b.engine, 'cnt2'), member(b.engine, 'cnt3')];
    for (const [engine, m] of [[a.engine, m1], [b.engine, m2], [b.engine, m3]] as const) {
      expect(await engine.claimNick(`${m.nick}${nanoid(4).replace(/[^A-Za-z0-9]/g, 'x')}`, m.sid)).toBe(true);
    }
    await Promise.all([a.engine.join(r1, r1, m1), b.engine.join(r1, r1, m2), b.engine.join(r2, r2, m3)]);
    // Nodes of earlier tests are reaped meanwhile; what stays is these two nodes' own.
    await expect.poll(() => a.engine.counts(), { timeout: 15_000, interval: 200 }).toEqual({ users: 3, rooms: 2, servers: 2 });
    await b.engine.crash();
    await expect.poll(() => a.engine.counts(), { timeout: 15_000, interval: 200 }).toEqual({ users: 1, rooms: 1, servers: 1 });
  });

  it('read markers: one hash per account, written in one transaction, read back whole; damaged fields are skipped', async () => {
    const { engine } = await startNode(redis);
    const other = await startNode(redis);
    await engine.readMarkers.save([
      ['mara', '#a', { room: '#A', seq: 5, ts: 10 }],
      ['mara', '#b', { room: '#b', seq: 2, ts: 20 }],
      ['nils', '#a', { room: '#A', seq: 9, ts: 30 }],
    ]);
    await admin.hset('chat:read:mara', '#broken', 'not json', '#wrong', '{"room":"#wrong","seq":"3","ts":1}');
    expect(await other.engine.readMarkers.load('mara')).toEqual(new Map([['#a', { room: '#A', seq: 5, ts: 10 }], ['#b', { room: '#b', seq: 2, ts: 20 }]]));
    await engine.readMarkers.save([['mara', '#a', { room: '#A', seq: 7, ts: 40 }], ['mara', '#b', null]]);
    expect(await admin.hgetall('chat:read:mara')).toMatchObject({ '#a': JSON.stringify({ room: '#A', seq: 7, ts: 40 }) });
    expect(await admin.hexists('chat:read:mara', '#b')).toBe(0);
    expect(await other.engine.readMarkers.load('nils')).toEqual(new Map([['#a', { room: '#A', seq: 9, ts: 30 }]]));
    expect(await other.engine.readMarkers.load('nobody')).toEqual(new Map());
  });

  it('fences a node whose lease is gone: refused writes, fenced() once, then carries on under a new id', async () => {
    const f = await startNode(redis);
    const other = await startNode(redis);
    const r = room();
    const oldNode = f.engine.node;
    const fen = member(f.engine, `Fen${nanoid(4).replace(/[^A-Za-z0-9]/g, 'x')}`);
    expect(await f.engine.claimNick(fen.nick, fen.sid)).toBe(true);
    await f.engine.join(r, r, fen);
    await admin.del(`chat:node:${oldNode}`);
    await expect(f.engine.append([msg(r)])).rejects.toThrow(/fenced/);
    await expect(f.engine.join(r, r, { ...fen, sid: 'x2', nick: 'fen2' })).rejects.toThrow(/fenced/);
    await vi.waitFor(() => expect(f.sink.fencedReasons).toHaveLength(1), WAIT);
    expect(f.engine.node).not.toBe(oldNode);
    expect(f.engine.stats().fenced).toBe(1);
    // Its old members leave and its old nicks come free without waiting for the reapers.
    await vi.waitFor(() => expect(other.sink.of('part', r).map((e) => e.member)).toEqual([fen]), WAIT);
    expect(other.sink.of('part', r)[0]!.reason).toBe('connection closed');
    expect(await other.engine.claimNick(fen.nick, 'someone')).toBe(true);
    // Carries on: new claims and appends work under the new id.
    await vi.waitFor(() => expect(f.engine.health().detail.leaseHeld).toBe(true), WAIT);
    expect(await f.engine.claimNick(`New${nanoid(4).replace(/[^A-Za-z0-9]/g, 'x')}`, 'n1')).toBe(true);
    const after = msg(r);
    await f.engine.append([after]);
    await vi.waitFor(() => expect(other.sink.messages(r).map((m) => m.id)).toEqual([after.id]), WAIT);
    expect(f.sink.fencedReasons).toHaveLength(1);
    expect(f.engine.health().ok).toBe(true);
  });

  it('fences through the heartbeat alone when the lease vanishes while idle', async () => {
    const f = await startNode(redis);
    const oldNode = f.engine.node;
    await admin.del(`chat:node:${oldNode}`);
    await vi.waitFor(() => expect(f.sink.fencedReasons).toEqual(['lease lost']), WAIT);
    expect(f.engine.node).not.toBe(oldNode);
  });

  it('reaps a crashed node after its lease: parts its members and frees its nicks, and leaves live ones alone', async () => {
    const observer = await startNode(redis);
    const liveNode = await startNode(redis);
    const victim = await startNode(redis);
    const r = room();
    const v1 = member(victim.engine, 'v1');
    const v2 = member(victim.engine, 'v2');
    const stay = member(liveNode.engine, 'stay');
    const nick = `Vic${nanoid(4).replace(/[^A-Za-z0-9]/g, 'x')}`;
    expect(await victim.engine.claimNick(nick, v1.sid)).toBe(true);
    await Promise.all([victim.engine.join(r, r, v1), victim.engine.join(r, r, v2), liveNode.engine.join(r, r, stay)]);
    await vi.waitFor(() => expect(observer.sink.of('join', r)).toHaveLength(3), WAIT);
    await victim.engine.crash();
    // Not reaped while its lease lives.
    expect(await observer.engine.claimNick(nick, 'o1')).toBe(false);
    await vi.waitFor(() => expect(observer.sink.of('part', r)).toHaveLength(2), WAIT);
    const parts = observer.sink.of('part', r);
    expect(parts.map((e) => e.member)).toEqual(expect.arrayContaining([v1, v2]));
    expect(parts.every((e) => e.reason === 'connection closed')).toBe(true);
    expect(liveNode.sink.of('part', r)).toHaveLength(2);
    expect(await observer.engine.claimNick(nick, 'o1')).toBe(true);
    expect((await observer.engine.openRoom(r, r)).members).toEqual([stay]);
    expect(observer.engine.stats().reaps + liveNode.engine.stats().reaps).toBeGreaterThanOrEqual(1);
  });

  it('stop() gives back members and nicks at once', async () => {
    const observer = await startNode(redis);
    const s = await startNode(redis);
    const r = room();
    const m = member(s.engine, `Sto${nanoid(4).replace(/[^A-Za-z0-9]/g, 'x')}`);
    expect(await s.engine.claimNick(m.nick, m.sid)).toBe(true);
    await s.engine.join(r, r, m);
    live.splice(live.indexOf(s.engine), 1);
    await s.engine.stop();
    expect(await observer.engine.claimNick(m.nick, 'o')).toBe(true);
    expect((await observer.engine.openRoom(r, r)).members).toEqual([]);
    await vi.waitFor(() => expect(observer.sink.of('part', r).map((e) => [e.member, e.reason])).toEqual([[m, 'connection closed']]), WAIT);
    await expect(s.engine.append([msg(r)])).rejects.toThrow(/stopping/);
  });

  it('resyncs when the bus was trimmed past what a node read', async () => {
    const writer = await startNode(redis, { busMaxLen: 100 });
    const r = room();
    const reader = await startNode(redis, { rooms: [r] });
    // One script appends 1,000 entries and trims the bus to about 100: nobody can read the first ones.
    await writer.engine.append(range(1, 1000).map(() => msg(r)));
    await vi.waitFor(() => expect(reader.sink.of('resync')).toHaveLength(1), WAIT);
    const next = msg(r);
    await writer.engine.append([next]);
    await vi.waitFor(() => expect(reader.sink.messages(r).map((m) => m.seq)).toContain(1001), WAIT);
    // After the resync it continued from the tail: nothing of the trimmed run, then 1001.
    expect(reader.sink.messages(r).map((m) => m.seq)).toEqual([1001]);
    expect(reader.sink.events.findIndex((e) => e.kind === 'resync')).toBeLessThan(
      reader.sink.events.findIndex((e) => e.kind === 'msg'));
  });

  it('reports health and counts appends', async () => {
    const a = await startNode(redis, { nodeName: 'alpha|bad name' });
    const r = room();
    await a.engine.append([msg(r), msg(r)]);
    expect(a.engine.node).toMatch(/^alphabadname-/);
    expect(a.engine.health()).toMatchObject({ ok: true, problems: [], detail: { node: a.engine.node, connected: true, leaseHeld: true } });
    expect(a.engine.stats()).toMatchObject({ appendBatches: 1, appendedMessages: 2, fenced: 0 });
  });
});

describe('RedisEngine start-up checks', () => {
  it('refuses a Redis without the AOF', async () => {
    const redis = await startRedis({ appendonly: false });
    try {
      await expect(startNode(redis)).rejects.toThrow(/appendonly no.*appendonly yes/);
    } finally {
      await redis.stop();
    }
  });

  it('refuses appendfsync everysec unless allowed, and an evicting maxmemory-policy', async () => {
    const redis = await startRedis({ appendfsync: 'everysec' });
    try {
      await expect(startNode(redis)).rejects.toThrow(/appendfsync everysec.*--redis-allow-everysec/);
      const allowed = await startNode(redis, { allowEverysec: true });
      expect(allowed.engine.health().ok).toBe(true);
      const lru = await startRedis({ maxmemoryPolicy: 'allkeys-lru', tcp: true });
      try {
        expect(lru.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
        await expect(startNode(lru)).rejects.toThrow(/maxmemory-policy allkeys-lru.*noeviction/);
      } finally {
        await lru.stop();
      }
    } finally {
      await redis.stop();
    }
  });

  it('refuses an unreachable Redis with a clear message instead of hanging', async () => {
    const port = await freePort();
    const fake = { url: `redis://127.0.0.1:${port}` } as RunningRedis;
    await expect(startNode(fake)).rejects.toThrow(new RegExp(`cannot reach Redis at redis://127.0.0.1:${port}`));
    const noSocket = { url: '/nonexistent-dir/r.sock' } as RunningRedis;
    await expect(startNode(noSocket)).rejects.toThrow(/cannot reach Redis at \/nonexistent-dir\/r\.sock/);
  });
});

describe('RedisEngine when Redis dies', () => {
  it('refuses to load or store read markers while Redis is down, with an EngineError that says so', async () => {
    const redis = await startRedis();
    try {
      const { engine } = await startNode(redis, { leaseMs: 2000 });
      await redis.kill('SIGKILL');
      await vi.waitFor(() => expect(engine.health().problems).toContain('redis unreachable'), WAIT);
      await expect(engine.readMarkers.save([['mara', '#a', { room: '#a', seq: 1, ts: 1 }]])).rejects.toThrow(/^the read markers could not be stored: /);
      await expect(engine.readMarkers.load('mara')).rejects.toThrow(/^the read markers could not be read: /);
      await redis.restart();
      await vi.waitFor(async () => {
        await engine.readMarkers.save([['mara', '#a', { room: '#a', seq: 1, ts: 1 }]]);
      }, WAIT);
      expect(await engine.readMarkers.load('mara')).toEqual(new Map([['#a', { room: '#a', seq: 1, ts: 1 }]]));
    } finally {
      await redis.stop();
    }
  });

  it('rejects appends at once while Redis is down; after SIGKILL and restart nothing acked is lost and seqs go on', async () => {
    const redis = await startRedis();
    const admin = () => new Redis({ path: redis.url, lazyConnect: true, retryStrategy: () => null });
    try {
      const a = await startNode(redis, { leaseMs: 2000 });
      const b = await startNode(redis, { leaseMs: 2000 });
      const r = room();
      const resolved: string[] = [];
      const rejected: string[] = [];
      let stop = false;
      const burst = async () => {
        while (!stop) {
          const batch = [msg(r), msg(r)];
          await a.engine.append(batch).then(() => resolved.push(...batch.map((m) => m.id)));
        }
      };
      const writers = Promise.all(range(1, 8).map(burst));
      await vi.waitFor(() => expect(resolved.length).toBeGreaterThanOrEqual(100), WAIT);
      await redis.kill('SIGKILL');
      // Down: the appends in flight wait to be resent; new ones are refused at once.
      for (const node of [a, b]) {
        await vi.waitFor(() => expect(node.engine.health().problems).toContain('redis unreachable'), WAIT);
        const refused = [msg(r)];
        await expect(node.engine.append(refused)).rejects.toThrow(/Redis\) is unreachable/);
        rejected.push(refused[0]!.id);
      }
      await redis.restart();
      const before = resolved.length;
      await vi.waitFor(() => expect(resolved.length).toBeGreaterThanOrEqual(before + 100), WAIT);
      stop = true;
      await writers;

      const check = admin();
      await check.connect();
      const log = await logOf(check, r);
      const stored = new Set(log.map((e) => e.id));
      expect(stored.size).toBe(log.length);
      expect(log.map((e) => e.seq)).toEqual(range(1, log.length));
      expect(resolved.filter((id) => !stored.has(id))).toEqual([]);
      expect(rejected.filter((id) => stored.has(id))).toEqual([]);
      // The readers resumed where they were: each message once, in order, on both nodes.
      for (const { sink } of [a, b]) {
        await vi.waitFor(() => expect(sink.messages(r)).toHaveLength(log.length), WAIT);
        expect(sink.messages(r).map((m) => m.id)).toEqual(log.map((e) => e.id));
      }
      const next = msg(r);
      await b.engine.append([next]);
      await vi.waitFor(() => expect(a.sink.messages(r).at(-1)?.id).toBe(next.id), WAIT);
      expect(a.sink.messages(r).at(-1)!.seq).toBe(log.length + 1);
      check.disconnect();
    } finally {
      await redis.stop();
    }
  });
});
