/**
 * An Engine written for the hub's unit tests, acting like a cluster's bus: it hands out seqs and keeps
 * each room's log, members and topic as the shared store would, but the events it would put on the bus
 * wait in `bus` until the test delivers them (now, later, reordered across rooms, with holes, or never).
 * It can put on the bus what another node would (`remote*`), fail a call, or hold calls of one kind
 * until released. Every call is recorded.
 */
import { HISTORY_PAGE_MAX } from '../../../shared/limits.js';
import type { BanInfo, ChatMessage, RoomInfo, ServerMessage } from '../../../shared/protocol.js';
import { emptyPolicy, type RoomPolicy } from '../../../server/moderation/policy.js';
import { caseFold } from '../../../shared/validate.js';
import type {
  ClusterCounts, DirectMessage, DmOutcome, DmReceipt, Engine, EngineEvent, EngineHealth, EngineSink, HistoryPage, MarkerChange, MemberRef,
  ModerationEntry, NewMessage, PolicyNotice, ReadMarker, ReadMarkerStore, RoomSnapshot, UserInfo,
} from '../../../server/engine/engine.js';
import { reservedKeys, type Account, type AccountDirectory, type CreateOutcome } from '../../../server/engine/accounts.js';

/** Accounts as the shared store would hold them, in memory. */
export class MemoryAccounts implements AccountDirectory {
  readonly byFold = new Map<string, Account>();

  async get(fold: string): Promise<Account | null> {
    return this.byFold.get(fold) ?? null;
  }

  async collision(nick: string): Promise<string | null> {
    const { fold, skeletons } = reservedKeys(nick);
    if (this.byFold.has(fold)) return this.byFold.get(fold)!.name;
    for (const account of this.byFold.values()) {
      if (reservedKeys(account.name).skeletons.some((s) => skeletons.includes(s))) return account.name;
    }
    return null;
  }

  async create(account: Account): Promise<CreateOutcome> {
    const taken = await this.collision(account.name);
    if (taken !== null) return { ok: false, taken };
    this.byFold.set(reservedKeys(account.name).fold, account);
    return { ok: true };
  }

  async update(account: Account): Promise<boolean> {
    const { fold } = reservedKeys(account.name);
    if (!this.byFold.has(fold)) return false;
    this.byFold.set(fold, account);
    return true;
  }

  async drop(name: string): Promise<void> {
    this.byFold.delete(reservedKeys(name).fold);
  }
}

/** Read markers as the shared store would hold them, in memory; every save is recorded, and `failing` refuses them. */
export class MemoryReadMarkers implements ReadMarkerStore {
  readonly byAccount = new Map<string, Map<string, ReadMarker>>();
  readonly saves: MarkerChange[][] = [];
  loads = 0;
  failing = false;

  async load(account: string): Promise<Map<string, ReadMarker>> {
    this.loads++;
    if (this.failing) throw new Error('the store is down');
    return new Map(this.byAccount.get(account));
  }

  async save(changes: MarkerChange[]): Promise<void> {
    if (this.failing) throw new Error('the store is down');
    this.saves.push(changes);
    for (const [account, roomKey, marker] of changes) {
      const markers = this.byAccount.get(account) ?? new Map<string, ReadMarker>();
      if (marker) markers.set(roomKey, marker);
      else markers.delete(roomKey);
      this.byAccount.set(account, markers);
    }
  }
}

export type Op = 'append' | 'claimNick' | 'releaseNick' | 'rename' | 'openRoom' | 'closeRoom' | 'join' | 'part' | 'setTopic'
  | 'page' | 'sendDm' | 'kill' | 'whois' | 'setAway' | 'setAccount';

/** A room as the shared store holds it. */
export interface SharedRoom {
  name: string;
  seq: number;
  topic: string;
  log: ChatMessage[];
  members: MemberRef[];
}

export class ScriptedEngine implements Engine {
  sink!: EngineSink;
  /** Events put on the bus that this node has not read yet, in bus order. */
  bus: EngineEvent[] = [];
  readonly calls: Array<{ op: Op; args: unknown[] }> = [];
  readonly rooms = new Map<string, SharedRoom>();
  /** Folded nick → sid, cluster-wide. */
  readonly nicks = new Map<string, string>();
  /** What roomDirectory() answers when shared. */
  directory: RoomInfo[] = [];
  /** What sendDm answers; 'local' hands the DM to this node's sink, as a DM to a user here would. */
  dmOutcome: DmOutcome | 'local' = 'local';
  private readonly failures = new Map<Op, Error>();
  private readonly held = new Map<Op, Array<() => void>>();
  private clock = 1_000;

  readonly accounts = new MemoryAccounts();
  readonly readMarkers = new MemoryReadMarkers();

  /** Whether writes can reach the store at all (Redis up). */
  reachable = true;

  constructor(readonly node = 'node-a', readonly shared = true) {}

  // ---- test controls --------------------------------------------------------------------------

  /** The next call of `op` rejects with `err`. */
  failNext(op: Op, err: Error): void {
    this.failures.set(op, err);
  }

  /** Calls of `op` wait (after being recorded) until `release(op)`. */
  hold(op: Op): void {
    if (!this.held.has(op)) this.held.set(op, []);
  }

  /** Lets the held calls of `op` go on, and stops holding it. */
  release(op: Op): void {
    const waiters = this.held.get(op) ?? [];
    this.held.delete(op);
    for (const go of waiters) go();
  }

  callsOf(op: Op): unknown[][] {
    return this.calls.filter((c) => c.op === op).map((c) => c.args);
  }

  /** Reads the bus: applies the first `count` events (all by default), then tells the sink the run ended. */
  deliver(count = Infinity): EngineEvent[] {
    const events = this.bus.splice(0, count);
    for (const event of events) this.sink.apply(event);
    this.sink.flushed();
    return events;
  }

  /** Applies, in bus order, only the events `which` picks; the rest stay on the bus. */
  deliverWhere(which: (e: EngineEvent) => boolean): EngineEvent[] {
    const picked = this.take(which);
    for (const event of picked) this.sink.apply(event);
    this.sink.flushed();
    return picked;
  }

  /** Takes events off the bus (to deliver later with `inject`, or never). */
  take(which: (e: EngineEvent) => boolean): EngineEvent[] {
    const picked = this.bus.filter(which);
    this.bus = this.bus.filter((e) => !which(e));
    return picked;
  }

  /** Applies an event at once, as if just read from the bus. */
  inject(...events: EngineEvent[]): void {
    for (const event of events) this.sink.apply(event);
    this.sink.flushed();
  }

  room(name: string): SharedRoom {
    const key = caseFold(name);
    let room = this.rooms.get(key);
    if (!room) {
      room = { name, seq: 0, topic: '', log: [], members: [] };
      this.rooms.set(key, room);
    }
    return room;
  }

  // ---- what other nodes put on the bus ----------------------------------------------------------

  remoteMember(nick: string, node = 'node-b'): MemberRef {
    return { node, sid: `${node}:${nick}`, nick };
  }

  remoteJoin(roomName: string, member: MemberRef): EngineEvent {
    const room = this.room(roomName);
    room.members = [...room.members.filter((m) => m.sid !== member.sid), member];
    return this.put({ kind: 'join', roomKey: caseFold(roomName), room: room.name, member, seq: room.seq, ts: this.tick() });
  }

  remotePart(roomName: string, member: MemberRef, reason?: string): EngineEvent {
    const room = this.room(roomName);
    room.members = room.members.filter((m) => m.sid !== member.sid);
    return this.put(reason === undefined
      ? { kind: 'part', roomKey: caseFold(roomName), room: room.name, member }
      : { kind: 'part', roomKey: caseFold(roomName), room: room.name, member, reason });
  }

  remoteSay(roomName: string, from: string, text: string): EngineEvent {
    return this.commit({ roomKey: caseFold(roomName), room: this.room(roomName).name, id: `remote-${this.tick()}`, from, text });
  }

  remoteRename(member: MemberRef, nick: string, roomNames: string[]): { member: MemberRef; event: EngineEvent } {
    const renamed = { ...member, nick };
    for (const name of roomNames) {
      const room = this.room(name);
      room.members = room.members.map((m) => (m.sid === member.sid ? renamed : m));
    }
    const event = this.put({ kind: 'nick', member: renamed, old: member.nick, rooms: roomNames.map(caseFold) });
    return { member: renamed, event };
  }

  /** The member goes away with `away` (or comes back, without), as its own node would say. */
  remoteAway(member: MemberRef, away: string | undefined, roomNames: string[]): MemberRef {
    const { away: _was, ...base } = member;
    const now: MemberRef = away === undefined ? base : { ...base, away };
    for (const name of roomNames) {
      const room = this.room(name);
      room.members = room.members.map((m) => (m.sid === member.sid ? now : m));
    }
    this.put({ kind: 'away', member: now, rooms: roomNames.map(caseFold) });
    return now;
  }

  /** The member logs in to `account` (or out, without), as its own node would say (`was`: the account `member` holds). */
  remoteLogin(member: MemberRef, account: string | undefined, roomNames: string[]): MemberRef {
    const { account: was, ...base } = member;
    const now: MemberRef = account === undefined ? base : { ...base, account };
    for (const name of roomNames) {
      const room = this.room(name);
      room.members = room.members.map((m) => (m.sid === member.sid ? now : m));
    }
    const rooms = roomNames.map(caseFold);
    this.put(was === undefined ? { kind: 'login', member: now, rooms } : { kind: 'login', member: now, rooms, was });
    return now;
  }

  // ---- Engine -----------------------------------------------------------------------------------

  async start(sink: EngineSink): Promise<void> {
    this.sink = sink;
  }

  async append(batch: NewMessage[]): Promise<void> {
    await this.call('append', [batch]);
    for (const m of batch) this.commit(m);
  }

  async claimNick(nick: string, sid: string): Promise<boolean> {
    await this.call('claimNick', [nick, sid]);
    return this.claim(nick, sid);
  }

  async releaseNick(nick: string, sid: string): Promise<void> {
    await this.call('releaseNick', [nick, sid]);
    if (this.nicks.get(caseFold(nick)) === sid) this.nicks.delete(caseFold(nick));
  }

  async rename(member: MemberRef, old: string, roomKeys: string[]): Promise<boolean> {
    await this.call('rename', [member, old, roomKeys]);
    if (!this.claim(member.nick, member.sid)) return false;
    if (caseFold(old) !== caseFold(member.nick) && this.nicks.get(caseFold(old)) === member.sid) this.nicks.delete(caseFold(old));
    for (const key of roomKeys) {
      const room = this.rooms.get(key);
      if (room) room.members = room.members.map((m) => (m.sid === member.sid ? member : m));
    }
    this.put({ kind: 'nick', member, old, rooms: roomKeys });
    return true;
  }

  async openRoom(roomKey: string, name: string): Promise<RoomSnapshot> {
    await this.call('openRoom', [roomKey, name]);
    const room = this.rooms.get(roomKey) ?? this.room(name);
    return {
      key: roomKey, name: room.name, seq: room.seq, topic: room.topic, members: [...room.members],
      recent: pageOf(room, room.seq + 1, HISTORY_PAGE_MAX), policy: this.policies.get(roomKey) ?? null,
    };
  }

  closeRoom(roomKey: string): void {
    this.calls.push({ op: 'closeRoom', args: [roomKey] });
  }

  async join(roomKey: string, name: string, member: MemberRef): Promise<void> {
    await this.call('join', [roomKey, name, member]);
    const room = this.room(name);
    room.members = [...room.members.filter((m) => m.sid !== member.sid), member];
    this.put({ kind: 'join', roomKey, room: room.name, member, seq: room.seq, ts: this.tick() });
  }

  async part(roomKey: string, name: string, member: MemberRef, reason?: string): Promise<void> {
    await this.call('part', [roomKey, name, member, reason]);
    const room = this.room(name);
    room.members = room.members.filter((m) => m.sid !== member.sid);
    this.put(reason === undefined
      ? { kind: 'part', roomKey, room: room.name, member }
      : { kind: 'part', roomKey, room: room.name, member, reason });
  }

  async setTopic(roomKey: string, name: string, topic: string, by: string): Promise<void> {
    await this.call('setTopic', [roomKey, name, topic, by]);
    this.room(name).topic = topic;
    this.put({ kind: 'topic', roomKey, room: name, topic, by, ts: this.tick() });
  }

  readonly bans = new Map<string, BanInfo>();
  readonly policies = new Map<string, RoomPolicy>();

  async updatePolicy(roomKey: string, name: string, change: (current: RoomPolicy) => RoomPolicy, notice?: PolicyNotice): Promise<RoomPolicy> {
    const policy = change(this.policies.get(roomKey) ?? emptyPolicy());
    this.policies.set(roomKey, policy);
    this.put(notice ? { kind: 'policy', roomKey, room: name, policy, notice } : { kind: 'policy', roomKey, room: name, policy });
    return policy;
  }

  async policy(roomKey: string): Promise<RoomPolicy | null> {
    return this.policies.get(roomKey) ?? null;
  }

  async accountChanged(nick: string): Promise<void> {
    this.put({ kind: 'account', nick });
  }

  async notify(nick: string, message: ServerMessage): Promise<void> {
    this.put({ kind: 'notify', nick, message });
  }
  readonly modlog: ModerationEntry[] = [];

  async serverBans(): Promise<BanInfo[]> {
    return [...this.bans.values()];
  }

  async addServerBan(ban: BanInfo): Promise<void> {
    this.bans.set(ban.mask, ban);
    this.put({ kind: 'bans' });
  }

  async removeServerBan(mask: string): Promise<boolean> {
    const had = this.bans.delete(mask);
    if (had) this.put({ kind: 'bans' });
    return had;
  }

  async logModeration(entry: ModerationEntry): Promise<void> {
    this.modlog.push(entry);
  }

  async kill(nick: string, reason: string, except?: string): Promise<void> {
    await this.call('kill', [nick, reason, except]);
    this.put(except === undefined ? { kind: 'kill', nick, reason } : { kind: 'kill', nick, reason, except });
  }

  async page(roomKey: string, name: string, before: number, limit: number): Promise<HistoryPage> {
    await this.call('page', [roomKey, name, before, limit]);
    return pageOf(this.rooms.get(roomKey) ?? this.room(name), before, limit);
  }

  async pageAfter(roomKey: string, name: string, after: number, before: number, limit: number): Promise<HistoryPage> {
    const newer = (this.rooms.get(roomKey) ?? this.room(name)).log.filter((m) => m.seq > after && m.seq < before);
    return { messages: newer.slice(0, limit), more: newer.length > limit };
  }

  async locate(roomKey: string, anchor: { id: string } | { ts: number }): Promise<number | null> {
    const log = this.rooms.get(roomKey)?.log ?? [];
    if ('id' in anchor) return log.find((m) => m.id === anchor.id)?.seq ?? null;
    return log.filter((m) => m.ts < anchor.ts).at(-1)?.seq ?? 0;
  }

  readonly search = null;

  roomDirectory(): Promise<RoomInfo[]> | null {
    return this.shared ? Promise.resolve(this.directory) : null;
  }

  async sendDm(toFold: string, dm: DirectMessage): Promise<DmReceipt> {
    await this.call('sendDm', [toFold, dm]);
    return this.dmOutcome === 'local' ? this.sink.receiveDm(toFold, dm) : { outcome: this.dmOutcome };
  }

  /** Only this node's users are known by nick here. */
  async whois(nickFold: string): Promise<UserInfo | null> {
    await this.call('whois', [nickFold]);
    return this.sink.whois(nickFold);
  }

  async setAway(member: MemberRef, roomKeys: string[]): Promise<void> {
    await this.call('setAway', [member, roomKeys]);
    this.put({ kind: 'away', member, rooms: roomKeys });
  }

  async setAccount(member: MemberRef, roomKeys: string[], was?: string): Promise<void> {
    await this.call('setAccount', was === undefined ? [member, roomKeys] : [member, roomKeys, was]);
    if (roomKeys.length > 0) this.put(was === undefined ? { kind: 'login', member, rooms: roomKeys } : { kind: 'login', member, rooms: roomKeys, was });
  }

  counts(): Promise<ClusterCounts> | null {
    const rooms = [...this.rooms.values()].filter((r) => r.members.length > 0).length;
    return this.shared ? Promise.resolve({ users: this.nicks.size, rooms, servers: 1 }) : null;
  }

  health(): EngineHealth {
    return { ok: true, problems: [], detail: {} };
  }

  async stop(): Promise<void> {}

  // ---- inside -----------------------------------------------------------------------------------

  private async call(op: Op, args: unknown[]): Promise<void> {
    this.calls.push({ op, args });
    const failure = this.failures.get(op);
    if (failure) {
      this.failures.delete(op);
      throw failure;
    }
    const waiters = this.held.get(op);
    if (waiters) await new Promise<void>((go) => waiters.push(go));
  }

  private claim(nick: string, sid: string): boolean {
    const holder = this.nicks.get(caseFold(nick));
    if (holder !== undefined && holder !== sid) return false;
    this.nicks.set(caseFold(nick), sid);
    return true;
  }

  /** Gives a message its seq, logs it and puts its event on the bus. */
  private commit(m: NewMessage): EngineEvent {
    const room = this.room(m.room);
    const message: ChatMessage = { room: room.name, id: m.id, seq: ++room.seq, from: m.from, text: m.text, ts: this.tick() };
    if (m.action) message.action = true;
    room.log.push(message);
    return this.put({ kind: 'msg', roomKey: m.roomKey, message });
  }

  private put(event: EngineEvent): EngineEvent {
    this.bus.push(event);
    return event;
  }

  private tick(): number {
    return ++this.clock;
  }
}

/** The newest `limit` messages of the log older than `before` (messages trimmed from the log are gone). */
function pageOf(room: SharedRoom, before: number, limit: number): HistoryPage {
  const older = room.log.filter((m) => m.seq < before);
  const messages = older.slice(Math.max(0, older.length - limit));
  return { messages, more: older.length > messages.length };
}
