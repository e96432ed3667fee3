/**
 * The cluster engine: rooms, seqs, nicks and membership live in one Redis (see
 * docs/cluster.md and shared/design/cluster.md §5). Three connections per node:
 * - commands: no offline queue (a write while Redis is down fails at once, and truly was not sent);
 *   in-flight commands are resent after a reconnect, which the scripts make idempotent. Not
 *   auto-pipelined: ioredis 5.11 with enableAutoPipelining and no offline queue throws an uncaught
 *   "Stream isn't writeable" from a setImmediate when Redis is away (a crash), and leaves the command
 *   unsettled;
 * - the bus reader (redis-bus-reader.ts), a blocking XREAD loop of its own;
 * - the DM subscriber (redis-dm.ts).
 * Every change to shared state is one Lua script (redis-scripts.ts) that also puts its event on the
 * bus; events reach the hub only from the bus, so every node applies them in the same order.
 */
import { nanoid } from 'nanoid';
import type { Redis } from 'ioredis';
import { HISTORY_PAGE_MAX } from '../../shared/limits.js';
import type { BanInfo, RoomInfo, ServerMessage } from '../../shared/protocol.js';
import { caseFold } from '../../shared/validate.js';
import type { Logger } from '../log.js';
import type {
  ClusterCounts, DirectMessage, DmReceipt, Engine, EngineHealth, EngineSink, HistoryPage, MemberRef, ModerationEntry, NewMessage,
  PolicyNotice, RoomSnapshot, UserInfo,
} from './engine.js';
import { EngineError } from './engine.js';
import { BusReader, READ_BLOCK_MS } from './redis-bus-reader.js';
import { BatchAppender } from './redis-appender.js';
import { decodeMember, encodeMember, type StreamEntry } from './redis-codec.js';
import { checkSettings, connectAll, openConnection } from './redis-connect.js';
import { DmRelay } from './redis-dm.js';
import { RedisAccounts } from './redis-accounts.js';
import { RedisReadMarkers } from './redis-read-markers.js';
import { emptyPolicy, isHidden, type RoomPolicy } from '../moderation/policy.js';
import { firstChunk, locateInLog, readPage, readPageAfter } from './redis-history.js';
import { SharedRead } from './shared-read.js';
import { NodeLease } from './redis-lease.js';
import { reapNode } from './redis-reaper.js';
import {
  BUS, DEAD_MARKER_MS, deadMarker, defineScripts, leaseKey, nickKey, NODES, nodeAccounts, nodeAway, nodeNicks, nodeRooms, ROOMS, roomLog,
  roomMembers, roomMeta, roomPolicy, type ScriptedRedis,
} from './redis-scripts.js';

export interface RedisEngineOptions {
  /** redis://host:port or a unix socket path (starting with '/'). */
  url: string;
  /** A readable prefix of this node's id in logs and keys. */
  nodeName?: string;
  leaseMs: number;
  /** Approximate length the bus is trimmed to (MAXLEN ~). */
  busMaxLen: number;
  /** Per-room log cap (0 = keep everything). */
  historyMax: number;
  /** Accept appendfsync everysec (a Redis crash may lose up to 2 s of acked messages). */
  allowEverysec?: boolean;
  log: Logger;
}

export interface RedisEngineStats {
  appendBatches: number;
  appendedMessages: number;
  appendLastMs: number;
  appendAvgMs: number;
  reaps: number;
  fenced: number;
  busLagMs: number;
  busEntriesBehind: number;
  resyncs: number;
}

const CONNECT_TIMEOUT_MS = 5000;
/** Tries of a policy change that keeps losing the race to others. */
const POLICY_ATTEMPTS = 10;
/** The server bans (mask → JSON) and the moderation log (a stream, trimmed to about MODLOG_MAXLEN entries). */
const SERVER_BANS = 'chat:serverbans';
const MODLOG = 'chat:modlog';
const MODLOG_MAXLEN = 1_000_000;
const DIRECTORY_CACHE_MS = 1000;

export class RedisEngine implements Engine {
  readonly shared = true;
  private sink!: EngineSink;
  private cmd!: ScriptedRedis;
  private readerConn!: Redis;
  private subConn!: Redis;
  private reader!: BusReader;
  private lease!: NodeLease;
  private dms!: DmRelay;
  private stopping = false;
  private appender!: BatchAppender;
  private readonly directory = new SharedRead(DIRECTORY_CACHE_MS, () => this.readDirectory());
  private readonly census = new SharedRead(DIRECTORY_CACHE_MS, () => this.readCounts());
  accounts!: RedisAccounts;
  readMarkers!: RedisReadMarkers;

  constructor(private readonly options: RedisEngineOptions) {}

  get reachable(): boolean {
    return this.lease?.isConnected ?? false;
  }

  get node(): string {
    return this.lease?.node ?? 'starting';
  }

  async start(sink: EngineSink): Promise<void> {
    const { url, log } = this.options;
    this.sink = sink;
    this.cmd = defineScripts(openConnection(url, 'chat-commands', log, {
      maxRetriesPerRequest: null, enableOfflineQueue: false,
    }));
    this.readerConn = openConnection(url, 'chat-bus-reader', log, { maxRetriesPerRequest: null });
    this.subConn = openConnection(url, 'chat-dm', log, { maxRetriesPerRequest: null });
    await connectAll([this.cmd, this.readerConn, this.subConn], url, CONNECT_TIMEOUT_MS);
    try {
      await checkSettings(this.cmd, url, this.options.allowEverysec ?? false, log);
      this.lease = new NodeLease(this.cmd, {
        leaseMs: this.options.leaseMs, nodeName: this.options.nodeName, busMaxLen: this.options.busMaxLen, log,
        onFenced: (_old, reason) => this.sink.fenced(reason),
        onNewId: (node) => this.dms.listen(node),
      });
      this.lease.connected();
      this.cmd.on('ready', () => this.lease.connected());
      this.cmd.on('close', () => this.lease.disconnected());
      await this.lease.start();
      this.dms = new DmRelay(this.cmd, this.subConn, sink, () => this.node, log);
      await this.dms.listen(this.node);
      this.accounts = new RedisAccounts(this.cmd);
      this.readMarkers = new RedisReadMarkers(this.cmd);
      this.appender = new BatchAppender(this.cmd, this.options, () => this.node, (node, run) => this.write(node, run), () => this.stopping);
      this.reader = new BusReader(this.readerConn, sink, log);
      await this.reader.start();
    } catch (err) {
      this.lease?.stop();
      for (const c of [this.cmd, this.readerConn, this.subConn]) c.disconnect();
      throw err;
    }
    log.info({ node: this.node, url }, 'cluster engine started');
  }

  append(batch: NewMessage[]): Promise<void> {
    if (this.stopping) return Promise.reject(new Error('the cluster engine is stopping'));
    return this.appender.append(batch);
  }

  async claimNick(nick: string, sid: string): Promise<boolean> {
    const fold = caseFold(nick);
    const won = await this.write(this.node, (node) =>
      this.cmd.chatClaim(nickKey(fold), nodeNicks(node), leaseKey(node), `${node}|${sid}|${nick}`, fold, DEAD_MARKER_MS));
    return won === 1;
  }

  async releaseNick(nick: string, sid: string): Promise<void> {
    const fold = caseFold(nick);
    const node = this.node;
    await this.cmd.chatRelease(nickKey(fold), nodeNicks(node), `${node}|${sid}|${nick}`, fold);
  }

  async rename(member: MemberRef, old: string, roomKeys: string[]): Promise<boolean> {
    const newFold = caseFold(member.nick);
    const oldFold = caseFold(old);
    const done = await this.write(member.node, (node) => {
      const keys = [nickKey(newFold), nickKey(oldFold), nodeNicks(node), leaseKey(node), BUS];
      for (const k of roomKeys) keys.push(roomMembers(k), roomMeta(k));
      return this.cmd.chatRename(keys.length, ...keys, encodeMember(member), encodeMember({ ...member, nick: old }),
        newFold, oldFold, this.options.busMaxLen, DEAD_MARKER_MS, old, JSON.stringify(roomKeys));
    });
    return done === 1;
  }

  async openRoom(roomKey: string, name: string): Promise<RoomSnapshot> {
    const res = await this.cmd.multi()
      .hmget(roomMeta(roomKey), 'seq', 'name', 'topic')
      .hgetall(roomMembers(roomKey))
      .xrevrange(roomLog(roomKey), '+', '-', 'COUNT', firstChunk(HISTORY_PAGE_MAX))
      .get(roomPolicy(roomKey))
      .exec();
    if (!res) throw new Error('room snapshot aborted');
    for (const [err] of res) if (err) throw err;
    const [seq, storedName, topic] = res[0]![1] as Array<string | null>;
    const members = Object.values(res[1]![1] as Record<string, string>).map(decodeMember);
    const room = storedName ?? name;
    await this.readMemberState(members);
    const recent = await readPage(this.cmd, roomKey, room, null, HISTORY_PAGE_MAX, res[2]![1] as StreamEntry[]);
    const policy = res[3]![1] as string | null;
    return {
      key: roomKey, name: room, seq: Number(seq ?? 0), topic: topic ?? '', members, recent, policy: policy ? (JSON.parse(policy) as RoomPolicy) : null,
    };
  }

  /**
   * Fills in the away text of each member who is away and the account of each who is logged in: two
   * reads per node the members are on, in one round trip.
   */
  private async readMemberState(members: MemberRef[]): Promise<void> {
    const byNode = new Map<string, MemberRef[]>();
    for (const m of members) byNode.set(m.node, [...(byNode.get(m.node) ?? []), m]);
    const pipeline = this.cmd.pipeline();
    for (const [node, refs] of byNode) {
      const sids = refs.map((r) => r.sid);
      pipeline.hmget(nodeAway(node), ...sids).hmget(nodeAccounts(node), ...sids);
    }
    const res = byNode.size === 0 ? [] : (await pipeline.exec()) ?? [];
    [...byNode.values()].forEach((refs, i) => {
      const [awayErr, texts] = res[2 * i] ?? [null, []];
      const [accountErr, accounts] = res[2 * i + 1] ?? [null, []];
      if (awayErr) throw awayErr;
      if (accountErr) throw accountErr;
      refs.forEach((ref, k) => {
        const away = (texts as Array<string | null>)[k];
        const account = (accounts as Array<string | null>)[k];
        if (away) ref.away = away;
        if (account) ref.account = account;
      });
    });
  }

  closeRoom(_roomKey: string): void {
    // Nothing shared: the bus reader skips rooms the sink no longer serves.
  }

  async join(roomKey: string, name: string, member: MemberRef): Promise<void> {
    await this.write(member.node, (node) =>
      this.cmd.chatJoin(roomMembers(roomKey), roomMeta(roomKey), nodeRooms(node), BUS, ROOMS, leaseKey(node),
        roomKey, caseFold(member.nick), encodeMember(member), this.options.busMaxLen, name, nanoid(), member.away ?? '', member.account ?? ''));
    this.directory.forget();
  }

  async part(roomKey: string, name: string, member: MemberRef, reason?: string, quit?: boolean, by?: string): Promise<void> {
    await this.cmd.chatPart(roomMembers(roomKey), roomMeta(roomKey), nodeRooms(member.node), BUS, ROOMS,
      roomKey, caseFold(member.nick), encodeMember(member), this.options.busMaxLen, reason ?? '', name, quit ? '1' : '', by ?? '');
    this.directory.forget();
  }

  async setTopic(roomKey: string, name: string, topic: string, by: string): Promise<void> {
    await this.write(this.node, (node) =>
      this.cmd.chatTopic(roomMeta(roomKey), BUS, leaseKey(node), roomKey, topic, by, this.options.busMaxLen, name, nanoid()));
    this.directory.forget();
  }

  async updatePolicy(roomKey: string, name: string, change: (current: RoomPolicy) => RoomPolicy, notice?: PolicyNotice): Promise<RoomPolicy> {
    for (let attempt = 0; attempt < POLICY_ATTEMPTS; attempt++) {
      const old = (await this.cmd.get(roomPolicy(roomKey))) ?? '';
      const policy = change(old ? (JSON.parse(old) as RoomPolicy) : emptyPolicy());
      const stored = await this.cmd.chatPolicy(roomPolicy(roomKey), roomMeta(roomKey), BUS, roomKey, name, old,
        JSON.stringify(policy), isHidden(policy) ? 1 : 0, this.options.busMaxLen, notice ? JSON.stringify(notice) : '');
      if (stored === 1) {
        this.directory.forget();
        return policy;
      }
    }
    throw new EngineError('the room was changed by too many others at once; try again');
  }

  async policy(roomKey: string): Promise<RoomPolicy | null> {
    const json = await this.cmd.get(roomPolicy(roomKey));
    return json ? (JSON.parse(json) as RoomPolicy) : null;
  }

  async accountChanged(nick: string): Promise<void> {
    await this.announce('account', 'n', nick);
  }

  async notify(nick: string, message: ServerMessage): Promise<void> {
    await this.announce('notify', 'n', nick, 'm', JSON.stringify(message));
  }

  page(roomKey: string, name: string, before: number, limit: number): Promise<HistoryPage> {
    return readPage(this.cmd, roomKey, name, before, limit);
  }

  pageAfter(roomKey: string, name: string, after: number, before: number, limit: number): Promise<HistoryPage> {
    return readPageAfter(this.cmd, roomKey, name, after, before, limit);
  }

  locate(roomKey: string, anchor: { id: string } | { ts: number }): Promise<number | null> {
    return locateInLog(this.cmd, roomKey, anchor);
  }

  /** Redis has no full-text index (RediSearch is a module most servers lack): search is refused. */
  readonly search = null;

  roomDirectory(): Promise<RoomInfo[]> {
    return this.directory.get();
  }

  private async readDirectory(): Promise<RoomInfo[]> {
    const flat = await this.cmd.zrevrangebyscore(ROOMS, '+inf', 1, 'WITHSCORES');
    const rooms: Array<{ key: string; users: number }> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) rooms.push({ key: flat[i]!, users: Number(flat[i + 1]) });
    const metas = await Promise.all(rooms.map((r) => this.cmd.hmget(roomMeta(r.key), 'name', 'topic', 'hidden')));
    // Secret rooms are not listed.
    const list = rooms.flatMap((r, i) => (metas[i]![2] === '1' ? [] : [{ name: metas[i]![0] ?? r.key, users: r.users, topic: metas[i]![1] ?? '' }]));
    return list.sort((a, b) => b.users - a.users || a.name.localeCompare(b.name));
  }

  async sendDm(toFold: string, dm: DirectMessage): Promise<DmReceipt> {
    const holder = await this.holderOf(toFold);
    if (holder === null) return { outcome: 'no-such-user' };
    if (holder === this.node) return this.sink.receiveDm(toFold, dm);
    return this.dms.send(holder, toFold, dm);
  }

  async whois(nickFold: string): Promise<UserInfo | null> {
    const holder = await this.holderOf(nickFold);
    if (holder === null) return null;
    if (holder === this.node) return this.sink.whois(nickFold);
    return this.dms.whois(holder, nickFold);
  }

  /** The live node holding the folded nick, or null. */
  private async holderOf(nickFold: string): Promise<string | null> {
    const owner = await this.cmd.get(nickKey(nickFold));
    if (!owner) return null;
    const holder = decodeMember(owner).node;
    if (holder === this.node) return holder;
    return (await this.cmd.exists(leaseKey(holder))) === 0 ? null : holder;
  }

  /** Stored for the snapshots of rooms other nodes open later, then told to every node. */
  async setAway(member: MemberRef, roomKeys: string[]): Promise<void> {
    if (member.away) await this.cmd.hset(nodeAway(member.node), member.sid, member.away);
    else await this.cmd.hdel(nodeAway(member.node), member.sid);
    await this.announce('away', 'n', encodeMember(member), 'a', member.away ?? '', 'rs', JSON.stringify(roomKeys));
  }

  /** Stored for the snapshots of rooms other nodes open later, then, when it is in rooms, told to every node. */
  async setAccount(member: MemberRef, roomKeys: string[], was?: string): Promise<void> {
    if (member.account) await this.cmd.hset(nodeAccounts(member.node), member.sid, member.account);
    else await this.cmd.hdel(nodeAccounts(member.node), member.sid);
    if (roomKeys.length > 0) {
      await this.announce('login', 'n', encodeMember(member), 'ac', member.account ?? '', 'wa', was ?? '', 'rs', JSON.stringify(roomKeys));
    }
  }

  counts(): Promise<ClusterCounts> {
    return this.census.get();
  }

  /** Nicks held by each live node (its users), the rooms with members, the live nodes. */
  private async readCounts(): Promise<ClusterCounts> {
    const nodes = await this.cmd.zrange(NODES, 0, -1);
    const pipeline = this.cmd.pipeline().zcard(ROOMS);
    for (const node of nodes) pipeline.exists(leaseKey(node)).scard(nodeNicks(node));
    const res = (await pipeline.exec()) ?? [];
    for (const [err] of res) if (err) throw err;
    let users = 0;
    let servers = 0;
    nodes.forEach((_node, i) => {
      if (Number(res[1 + i * 2]![1]) === 0) return;
      servers++;
      users += Number(res[2 + i * 2]![1]);
    });
    return { users, rooms: Number(res[0]![1]), servers };
  }

  async serverBans(): Promise<BanInfo[]> {
    return Object.values(await this.cmd.hgetall(SERVER_BANS)).map((json) => JSON.parse(json) as BanInfo);
  }

  async addServerBan(ban: BanInfo): Promise<void> {
    await this.cmd.hset(SERVER_BANS, ban.mask, JSON.stringify(ban));
    await this.announce('bans');
  }

  async removeServerBan(mask: string): Promise<boolean> {
    const removed = (await this.cmd.hdel(SERVER_BANS, mask)) === 1;
    if (removed) await this.announce('bans');
    return removed;
  }

  async logModeration(entry: ModerationEntry): Promise<void> {
    await this.cmd.xadd(MODLOG, 'MAXLEN', '~', MODLOG_MAXLEN, '*', 'e', JSON.stringify(entry));
  }

  private announce(kind: string, ...fields: string[]): Promise<number> {
    return this.write(this.node, (node) => this.cmd.chatAnnounce(BUS, leaseKey(node), this.options.busMaxLen, kind, ...fields));
  }

  async kill(nick: string, reason: string, except?: string): Promise<void> {
    await this.announce('kill', 'n', nick, 'why', reason, ...(except === undefined ? [] : ['x', except]));
  }

  health(): EngineHealth {
    const connected = this.lease?.isConnected ?? false;
    const leaseHeld = this.lease?.leaseHeld ?? false;
    const problems: string[] = [];
    if (!connected) problems.push('redis unreachable');
    if (!leaseHeld) problems.push('lease lost');
    const reader = this.reader;
    const stalled = reader ? Date.now() - reader.lastReadAt > READ_BLOCK_MS + 5000 : false;
    if (connected && reader && (stalled || reader.lagMs > 5000)) problems.push('bus reader lagging');
    return {
      ok: problems.length === 0,
      problems,
      detail: { node: this.node, connected, leaseHeld, busLagMs: reader?.lagMs ?? 0, busEntriesBehind: reader?.entriesBehind ?? 0 },
    };
  }

  stats(): RedisEngineStats {
    return {
      ...(this.appender?.stats() ?? { appendBatches: 0, appendedMessages: 0, appendLastMs: 0, appendAvgMs: 0 }),
      reaps: this.lease?.reaps ?? 0,
      fenced: this.lease?.fencedCount ?? 0,
      busLagMs: this.reader?.lagMs ?? 0,
      busEntriesBehind: this.reader?.entriesBehind ?? 0,
      resyncs: this.reader?.resyncs ?? 0,
    };
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.lease.stop();
    await this.appender.settled();
    const node = this.node;
    try {
      // Give everything back now: others see this node's members leave and its nicks free at once.
      await this.cmd.multi().del(leaseKey(node)).set(deadMarker(node), '1', 'PX', DEAD_MARKER_MS).exec();
      await reapNode(this.cmd, node, this.options.busMaxLen);
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message }, 'could not give back this node\'s nicks and members (the reapers will)');
    }
    await this.dropConnections(true);
  }

  /** Test only: drops every connection at once and gives nothing back, as if the process were killed. */
  async crash(): Promise<void> {
    this.stopping = true;
    this.lease.stop();
    await this.dropConnections(false);
  }

  private async dropConnections(graceful: boolean): Promise<void> {
    this.dms?.close('the cluster engine stopped');
    this.reader?.stop();
    this.readerConn.disconnect();
    if (graceful) {
      await Promise.allSettled([this.cmd.quit(), this.subConn.quit()]);
    } else {
      this.cmd.disconnect();
      this.subConn.disconnect();
    }
  }

  /**
   * Runs a write under `node`'s lease. A FENCED answer for this node's current id fences it (once); the
   * caller gets an Error that says the write was refused.
   */
  private async write<T>(node: string, run: (node: string) => Promise<T>): Promise<T> {
    if (this.stopping) throw new Error('the cluster engine is stopping');
    if (this.lease.acquiring && node === this.node) {
      if (!this.lease.isConnected) throw new Error('Redis unreachable');
      await this.lease.acquiring;
      node = this.node;
    }
    try {
      return await run(node);
    } catch (err) {
      const message = (err as Error).message ?? '';
      if (message.startsWith('FENCED')) {
        this.lease.fence(node, 'lease lost');
        throw new Error(`refused: node ${node} lost its cluster lease (fenced)`);
      }
      throw err;
    }
  }
}

