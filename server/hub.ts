/**
 * The hub: this process's sessions and nicks, and the engine's event stream applied to them. Knows
 * nothing of sockets (it talks to `Peer`) and nothing of storage (it talks to the `Engine`).
 *
 * Shared state changes are asked of the engine by the commands (server/commands/) and take effect when
 * the engine's ordered events are applied here, the same way on one node or many. The parts, each owning
 * its state: ServedRooms (the rooms this node serves, and those being read), Timeline (messages: commit,
 * delivery in seq order, acks, hole repair), membership.ts (join, part, nick and topic events) and
 * presence.ts (join/part batching in busy rooms).
 */
import { newId } from './ids.js';
import { ErrorCode, ProtocolFault } from '../shared/errors.js';
import { LOBBY, WHO_PREVIEW } from '../shared/limits.js';
import type { ServerMessage } from '../shared/protocol.js';
import { caseFold } from '../shared/validate.js';
import { monotonic, type Clock, type StallWatch } from './clock.js';
import type { CommitQueue } from './commit-queue.js';
import type { Config } from './config.js';
import type { DirectMessage, DmReceipt, Engine, EngineEvent, EngineSink, MemberRef, ReadMarker, UserInfo } from './engine/engine.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import { Outgoing } from './outgoing.js';
import type { BlockList } from 'node:net';
import { addressOf } from './accounts/login.js';
import { LoginThrottle, type ThrottleLimits } from './accounts/login-throttle.js';
import { banList, isBanned } from './server-bans.js';
import { applyPolicy } from './moderation/apply-policy.js';
import type { Actor } from './moderation/policy.js';
import type { Account } from './engine/accounts.js';
import { applyAway, awayEvent } from './away.js';
import { applyLogin } from './login.js';
import { applyJoin, applyNick, applyPart, applyTopic } from './membership.js';
import { TokenBucket } from './rate-limit.js';
import { ReadMarkers } from './read-markers.js';
import type { Room } from './room.js';
import { ServedRooms } from './served-rooms.js';
import { Timeline } from './timeline.js';
import { Session, type Peer, type Recipient } from './session.js';
import { User } from './user.js';

export type HubConfig = Pick<Config, 'serverName' | 'motd' | 'maxConnections' | 'rateLimit' | 'rateBurst'
  | 'abuseStrikes' | 'registrationTimeoutMs' | 'announceLimit' | 'maxBufferedBytes' | 'maxRooms'
  | 'maxRoomsPerConnection' | 'maxRoomMembers' | 'maxTopicBytes' | 'roomRate'>
  & Partial<Pick<Config, 'password' | 'requireAccount' | 'accountRooms' | 'operators'>>
  /** Tests only: the login throttle's limits (DEFAULT_THROTTLE otherwise), the rate buckets' clock. */
  & { loginThrottle?: ThrottleLimits; rateClock?: Clock };

const STRIKE_RECOVERY_PER_SECOND = 0.2;
/** DM text one user may be sent per second by everyone together, and at once. */
const DM_BYTES_PER_SECOND = 64 * 1024;
const DM_BURST_BYTES = 256 * 1024;
/** A room may take this many seconds' worth of its byte rate at once. */
const ROOM_BURST_SECONDS = 4;
export { PRESENCE_BATCH_MEMBERS, PRESENCE_WINDOW_MS } from './presence.js';
/** Reply bytes that cost as much of a connection's budget as one message: a full history page costs 8. */
export const REPLY_BYTES_PER_TOKEN = 32 * 1024;
/** A request whose event has not come back from the engine by then is answered INTERNAL. */
const EVENT_TIMEOUT_MS = 10_000;

export class Hub implements EngineSink {
  /** Connections, by session id. */
  readonly sessions = new Map<string, Session>();
  /** Users, by the member id the engine knows them by. */
  private readonly users = new Map<string, User>();
  /** Users of this node by folded nick; the engine decides who may hold a nick. */
  private readonly nicks = new Map<string, User>();
  /** Logged-in users of this node by folded account, whatever nick they go by now. */
  private readonly accountUsers = new Map<string, User>();
  readonly rooms: ServedRooms;
  readonly timeline: Timeline;
  /** Requests waiting for their event, by `<kind>:<user id>[:<room>]`: terminals of one user may wait alike. */
  private readonly waiting = new Map<string, Set<() => void>>();
  readonly logins: LoginThrottle;
  /** The read markers of the accounts logged in here. */
  readonly markers: ReadMarkers;
  /** Folded names of the rooms where only logged-in users may speak. */
  readonly accountRooms: ReadonlySet<string>;
  /** Folded names of the accounts that are server operators. */
  readonly operators: ReadonlySet<string>;
  /** Told the server bans in force whenever they change (admission checks new sockets against them). */
  onBans: (list: BlockList) => void = () => {};
  private banTimer: NodeJS.Timeout | null = null;
  /** Shutting down: sessions close without telling the others (see shutdown). */
  private stopping = false;
  private bansLoading: Promise<void> | null = null;
  /** The most users this node has held at once since it started. */
  private peakUsers = 0;

  constructor(
    readonly config: HubConfig,
    readonly engine: Engine,
    readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly stalls: StallWatch | null = null,
    /** Addresses free of the per-address limits: they are throttled per account only. */
    exempt: (address: string) => boolean = () => false,
  ) {
    this.logins = new LoginThrottle(exempt, config.loginThrottle);
    this.accountRooms = new Set((config.accountRooms ?? '').split(',').filter(Boolean).map(caseFold));
    this.operators = new Set((config.operators ?? '').split(',').filter(Boolean).map(caseFold));
    const traffic = () => this.bucket(config.roomRate, config.roomRate * ROOM_BURST_SECONDS);
    this.rooms = new ServedRooms(engine, traffic, (event) => this.apply(event), () => this.flushed(), log);
    this.timeline = new Timeline(engine, this.rooms, this, metrics, log);
    // Through the engine at each call: a cluster's store exists once the engine has started.
    this.markers = new ReadMarkers({ load: (a) => engine.readMarkers.load(a), save: (c) => engine.readMarkers.save(c) }, log);
  }

  get commits(): CommitQueue {
    return this.timeline.commits;
  }

  /** Starts the engine and opens #lobby, where every session lands. */
  async start(): Promise<void> {
    await this.engine.start(this);
    await this.reloadBans();
    await this.rooms.open(LOBBY, LOBBY);
  }

  /** Rooms served here, and those being opened. */
  get roomCount(): number {
    return this.rooms.count;
  }

  // ---- connections --------------------------------------------------------------------------

  /** Admits a new connection, or answers SERVER_FULL and closes it (returning null). */
  connect(peer: Peer): Session | null {
    if (this.sessions.size >= this.config.maxConnections) {
      peer.deliver(new Outgoing({ type: 'error', code: ErrorCode.SERVER_FULL, message: 'the server is full; try again later' }));
      peer.close('server full');
      return null;
    }
    const id = newId();
    const user = new User(id);
    const session = new Session(
      id,
      peer,
      this.bucket(this.config.rateLimit, this.config.rateBurst),
      this.bucket(STRIKE_RECOVERY_PER_SECOND, this.config.abuseStrikes),
      user,
    );
    user.attach(session);
    this.users.set(id, user);
    session.registrationTimer = setTimeout(() => {
      if (!session.registered) session.peer.close('registration timeout');
    }, this.config.registrationTimeoutMs);
    session.registrationTimer.unref();
    this.sessions.set(session.id, session);
    return session;
  }

  bucket(rate: number, burst: number): TokenBucket {
    return new TokenBucket(rate, burst, this.config.rateClock ?? monotonic, this.forgiven);
  }

  /** One function for every bucket: a closure per bucket would cost every idle connection ~200 bytes. */
  private readonly forgiven = (now: number): number => this.stalls?.forgivenMs(now) ?? 0;

  /**
   * Forgets a connection. The last connection of its user takes the user with it: it leaves its rooms
   * here at once, and the engine tells everyone (members see `left`); its nick is freed. Idempotent.
   */
  disconnect(session: Session, reason: string): void {
    if (session.closed) return;
    session.closed = true;
    if (session.registrationTimer) clearTimeout(session.registrationTimer);
    this.sessions.delete(session.id);
    if (session.user.detach(session)) this.retire(session.user, reason);
  }

  /** The user leaves every room and frees its nick (its last session is gone, or moved to another user). */
  private retire(user: User, reason: string): void {
    const member = user.nick === null || this.stopping ? null : this.memberOf(user);
    for (const room of user.rooms) {
      room.remove(user);
      user.exit(room);
      this.rooms.changed();
      if (member) this.quietly(this.engine.part(room.key, room.name, member, reason, true), 'part');
    }
    if (user.nickKey && this.nicks.get(user.nickKey) === user) this.nicks.delete(user.nickKey);
    // Its away text and account are forgotten where they were kept for others (a cluster's snapshots).
    if (member?.away !== undefined) {
      const { away: _was, ...back } = member;
      this.quietly(this.engine.setAway(back, []), 'clear away');
    }
    if (member?.account !== undefined) {
      const { away: _away, account: _was, ...guest } = member;
      this.quietly(this.engine.setAccount(guest, []), 'clear account');
    }
    if (user.nick && !this.stopping) this.quietly(this.engine.releaseNick(user.nick, user.id), 'release nick');
    if (user.account !== null) {
      const fold = caseFold(user.account);
      this.markers.leave(fold, user);
      if (this.accountUsers.get(fold) === user) this.accountUsers.delete(fold);
    }
    this.users.delete(user.id);
  }

  /**
   * The user of this node logged in to `account` (under any nick), which another connection logging in
   * to the same account joins as one more terminal; null when there is none here.
   */
  terminalsOf(account: string): User | null {
    const fold = caseFold(account);
    const user = this.accountUsers.get(fold);
    return user && !user.closed && user.account !== null && caseFold(user.account) === fold ? user : null;
  }

  /**
   * Makes `session` one more terminal of `user`. The user it spoke for until now goes (leaving its
   * rooms, with `reason`); the session is told what `user` is in: each room's join, history and who.
   */
  attach(session: Session, user: User, reason: string): void {
    const previous = session.user;
    if (previous === user) return;
    const wasIn = previous.rooms.map((room) => room.name);
    const oldNick = previous.nick;
    if (previous.detach(session)) this.retire(previous, reason);
    session.user = user;
    user.attach(session);
    for (const name of wasIn) this.send(session, { type: 'left', room: name, nick: oldNick!, reason });
    if (oldNick !== null && oldNick !== user.nick) this.send(session, { type: 'nick', old: oldNick, new: user.nick! });
    for (const room of user.rooms) {
      this.send(session, room.joinedEvent(this.memberOf(user), Date.now()));
      this.welcomeToRoom(session, room);
    }
    if (user.away !== null) this.send(session, awayEvent(user.nick!, user.away));
  }

  /** The engine's side of a closed session; it cannot be told, so a failure is only logged. */
  quietly(work: Promise<void>, what: string): void {
    work.catch((err: unknown) => this.log.warn({ err }, `engine ${what} failed`));
  }

  /** Counts a strike (flood, oversize); too many and the connection gets `bye` and is closed. */
  strike(session: Session): void {
    if (!session.strikes.take()) {
      this.log.warn({ sid: session.id, remote: session.peer.remote }, 'closing abusive connection');
      session.peer.close('flood');
    }
  }

  /** The user as the engine knows it (a session stands for its user). */
  memberOf(who: Session | User): MemberRef {
    const user = who instanceof Session ? who.user : who;
    const member: MemberRef = { node: this.engine.node, sid: user.id, nick: user.nick! };
    if (user.away !== null) member.away = user.away;
    if (user.account !== null) member.account = user.account;
    return member;
  }

  /** Nick bookkeeping of this node once the engine granted `nick` to `user`. */
  holdNick(user: User, nick: string): void {
    const key = caseFold(nick);
    if (user.nickKey && user.nickKey !== key && this.nicks.get(user.nickKey) === user) this.nicks.delete(user.nickKey);
    this.nicks.set(key, user);
    user.nick = nick;
    user.nickKey = key;
    this.peakUsers = Math.max(this.peakUsers, this.nicks.size);
  }

  /** Users (with a nick) and rooms (with members) this node holds, its server operators, and its most users at once. */
  localCounts(): { users: number; rooms: number; operators: number; peakUsers: number } {
    let operators = 0;
    for (const user of this.nicks.values()) if (user.operator && !user.closed) operators++;
    let rooms = 0;
    for (const room of this.rooms.values()) if (room.total > 0) rooms++;
    return { users: this.nicks.size, rooms, operators, peakUsers: this.peakUsers };
  }

  // ---- sending ------------------------------------------------------------------------------

  send(to: Recipient, message: ServerMessage): void {
    this.metrics.messagesOut.inc();
    this.sendOut(to, new Outgoing(message));
  }

  /** Sends to the user's other terminals what `session` did (a DM it sent, say). */
  sendToOtherTerminals(session: Session, message: ServerMessage): void {
    const others = session.user.sessions.filter((s) => s !== session);
    if (others.length === 0) return;
    const out = new Outgoing(message);
    for (const other of others) this.sendShared(other, out);
  }

  /** Sends a message built once for many (a cached member list, say). */
  sendShared(session: Recipient, out: Outgoing): void {
    this.metrics.messagesOut.inc();
    this.sendOut(session, out);
  }

  /**
   * Sends the answer to a request that makes the server read and send a lot (history, rooms, who) and
   * charges the requester for its size: a client that asks for more than it may is slowed, not served.
   */
  reply(to: Session | User, out: Outgoing): void {
    this.sendShared(to, out);
    // Bytes, not UTF-16 units: a page of CJK text is three times its length on the wire. Sent to a
    // user (a join, on each of its terminals), it costs each terminal.
    const cost = Buffer.byteLength(out.json) / REPLY_BYTES_PER_TOKEN;
    for (const session of to instanceof Session ? [to] : to.sessions) session.flood.charge(cost);
  }

  sendOut(to: Recipient, out: Outgoing): void {
    if (to.closed) return;
    to.peer.deliver(out);
    this.metrics.deliveries.inc();
  }

  fail(session: Recipient, code: ErrorCode, message: string, ref?: string): void {
    this.metrics.errors.inc({ code });
    this.send(session, ref === undefined ? { type: 'error', code, message } : { type: 'error', code, message, ref });
  }

  // ---- requests that wait for their event ---------------------------------------------------

  /**
   * Runs `request` and resolves once its event (keyed `key`) has been applied here, so the session's next
   * request sees its effect. On one node the event comes before `request` settles; in a cluster it comes
   * through the bus, before or after.
   */
  whenApplied(key: string, request: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.stopWaiting(key, done);
        reject(new ProtocolFault(ErrorCode.INTERNAL, 'the cluster did not confirm the request in time; try again'));
      }, EVENT_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const waiters = this.waiting.get(key) ?? new Set();
      waiters.add(done);
      this.waiting.set(key, waiters);
      request().catch((err: unknown) => {
        if (!this.stopWaiting(key, done)) return;
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  private stopWaiting(key: string, done: () => void): boolean {
    const waiters = this.waiting.get(key);
    if (!waiters?.delete(done)) return false;
    if (waiters.size === 0) this.waiting.delete(key);
    return true;
  }

  applied(key: string): void {
    const waiters = this.waiting.get(key);
    if (!waiters) return;
    this.waiting.delete(key);
    for (const done of waiters) done();
  }

  // ---- rooms --------------------------------------------------------------------------------

  /** A room this node serves, if it does. */
  room(name: string): Room | undefined {
    return this.rooms.byName(name);
  }

  /** The room, if `session` is in it; otherwise NOT_IN_ROOM. */
  memberRoom(session: Session, name: string): Room {
    return this.rooms.memberRoom(session, name);
  }

  /** What a member sees right after joining: the history up to the join and, at the end of the turn, who. */
  welcomeToRoom(session: Session | User, room: Room): void {
    this.reply(session, room.joinHistory());
    // Built at the end of the turn, so everyone who joined in this turn shares one member list. A room
    // too large to announce joins gets a preview: a full list per joiner would make its fill quadratic.
    this.commits.later(() => {
      const large = room.total > this.config.announceLimit;
      this.reply(session, large ? room.whoPreview(Math.min(WHO_PREVIEW, this.config.announceLimit)) : room.who());
    });
  }

  // ---- messages -----------------------------------------------------------------------------

  /** Queues a room message for the engine; it is delivered, and acked, when its event comes back. */
  post(session: Session, room: Room, text: string, action: boolean, ref?: string): void {
    this.timeline.post(session, room, text, action, ref);
  }

  /**
   * DMs to one user, from everyone together, are bounded in bytes per second and refused while the
   * user has a backlog: many senders must not get a reading user dropped as a slow consumer.
   */
  receiveDm(toFold: string, dm: DirectMessage): DmReceipt {
    const target = this.nicks.get(toFold);
    if (!target || target.closed) return { outcome: 'no-such-user' };
    // Made at the first DM: most users never get one, and every idle connection would carry it.
    target.inbound ??= this.bucket(DM_BYTES_PER_SECOND, DM_BURST_BYTES);
    if (target.peer.outputBacklog() > this.config.maxBufferedBytes / 2 || !target.inbound.take(Buffer.byteLength(dm.text))) {
      return { outcome: 'busy' };
    }
    this.send(target, { type: 'dm', ...dm, to: target.nick! });
    const receipt: DmReceipt = { outcome: 'delivered', to: target.nick! };
    if (target.away !== null) receipt.away = target.away;
    return receipt;
  }

  /** The user of this node holding the folded nick: its nick, account and away text. */
  whois(nickFold: string): UserInfo | null {
    const user = this.nicks.get(nickFold);
    if (!user || user.closed) return null;
    const info: UserInfo = { nick: user.nick! };
    if (user.account !== null) info.account = user.account;
    if (user.away !== null) info.away = user.away;
    return info;
  }

  // ---- the engine's events ------------------------------------------------------------------

  serves(roomKey: string): boolean {
    return this.rooms.serves(roomKey);
  }

  apply(event: EngineEvent): void {
    if (this.rooms.hold(event)) return;
    switch (event.kind) {
      case 'msg': return this.timeline.apply(event);
      case 'join': return applyJoin(this, event);
      case 'part': return applyPart(this, event);
      case 'topic': return applyTopic(this, event);
      case 'nick': return applyNick(this, event);
      case 'away': return applyAway(this, event);
      case 'login': return applyLogin(this, event);
      case 'kill': return this.kill(event);
      case 'account': return void this.accountChanged(event.nick).catch((err: unknown) => this.log.warn({ err }, 'could not read a changed account'));
      case 'policy': return applyPolicy(this, event);
      case 'notify': {
        const user = this.nicks.get(event.nick);
        return user && !user.closed ? this.send(user, event.message) : undefined;
      }
      case 'bans': return void this.reloadBans().catch((err: unknown) => this.log.error({ err }, 'could not read the server bans'));
      case 'resync': return this.resync();
    }
  }

  flushed(): void {
    this.commits.afterFlush();
  }

  fenced(reason: string): void {
    this.log.error({ reason }, 'this node lost its place in the cluster; closing every session');
    // Said under the identity that was lost: they must not be stored under the next one.
    this.commits.failPending('this server lost its place in the cluster');
    for (const session of [...this.sessions.values()]) session.peer.close('shutdown');
  }

  /** Closes every terminal of this node's user holding the nick, if there is one (ghosted, or disconnected by an operator). */
  private kill(event: Extract<EngineEvent, { kind: 'kill' }>): void {
    const user = this.nicks.get(event.nick);
    if (!user || user.closed || user.id === event.except) return;
    this.log.info({ user: user.id, nick: user.nick, reason: event.reason }, 'user closed by request');
    user.close(event.reason);
  }

  /**
   * Reads the server bans again: admission gets the new list, and connections here from a banned
   * address are closed. Re-read when the next timed ban runs out. Reads one at a time, the last after
   * the last change.
   */
  reloadBans(): Promise<void> {
    const previous = this.bansLoading ?? Promise.resolve();
    const next = previous.catch(() => {}).then(async () => {
      const { list, nextExpiry } = banList(await this.engine.serverBans(), Date.now());
      this.onBans(list);
      for (const session of [...this.sessions.values()]) {
        if (!session.closed && isBanned(list, addressOf(session.peer.remote))) session.peer.close('banned');
      }
      if (this.banTimer) clearTimeout(this.banTimer);
      this.banTimer = nextExpiry === null ? null : setTimeout(() => void this.reloadBans().catch(() => {}), Math.max(0, nextExpiry - Date.now()) + 10);
      this.banTimer?.unref();
    });
    this.bansLoading = next;
    return next;
  }

  isOperator(session: Session): boolean {
    return session.user.operator;
  }

  /** The user is logged in to `account` now (null: a guest again), an operator or not. */
  logIn(user: User, account: Account | null): void {
    // Roles go with the account: the member lists of its rooms are built again.
    if (user.account !== (account?.name ?? null)) for (const room of user.rooms) room.renamed();
    const was = user.account === null ? null : caseFold(user.account);
    const now = account === null ? null : caseFold(account.name);
    user.account = account?.name ?? null;
    user.operator = account !== null && (this.operators.has(caseFold(account.name)) || account.operator === true);
    if (was !== null && was !== now && this.accountUsers.get(was) === user) this.accountUsers.delete(was);
    if (now !== null && !this.accountUsers.has(now)) this.accountUsers.set(now, user);
    if (was !== null && was !== now) this.markers.leave(was, user);
    if (now !== null) this.markers.enter(now, user);
  }

  /**
   * The read markers of `account` (one the session's user is logged in to), read from the engine unless
   * known here. A failed read is logged and gives none: the login goes on, and `read` tries again.
   */
  async markersOf(account: string): Promise<ReadMarker[]> {
    const fold = caseFold(account);
    try {
      await this.markers.open(fold);
    } catch (err) {
      this.log.warn({ err: (err as Error).message, account }, 'could not read the read markers');
      return [];
    }
    return this.markers.list(fold);
  }

  /** Tells a terminal that logged in where the account has read up to: one `read` per marker. */
  tellMarkers(session: Session, markers: readonly ReadMarker[]): void {
    for (const m of markers) this.send(session, { type: 'read', room: m.room, seq: m.seq });
  }

  /**
   * Tells the cluster the user's account now (after logIn; `was`: the account it had before): those
   * sharing a room with it get `login`, and a `role` where the two accounts' roles differ (resolves once
   * that is applied here), and room snapshots carry it from now on. The login holds here whatever the
   * engine says: a failure to tell the others is logged, not the requester's error.
   */
  async showAccount(user: User, was: string | null): Promise<void> {
    const member = this.memberOf(user);
    const rooms = user.rooms.map((r) => r.key);
    try {
      if (rooms.length === 0) await this.engine.setAccount(member, []);
      else await this.whenApplied(`login:${user.id}`, () => this.engine.setAccount(member, rooms, was ?? undefined));
    } catch (err) {
      this.log.warn({ err, user: user.id }, 'could not tell the others of an account change');
    }
  }

  /** An account changed elsewhere (made or unmade operator): its user here, if any, takes it up. */
  private async accountChanged(fold: string): Promise<void> {
    const user = this.terminalsOf(fold);
    if (!user) return;
    const account = await this.engine.accounts.get(fold);
    const was = user.operator;
    this.logIn(user, account);
    if (user.operator !== was) {
      this.send(user, { type: 'notice', text: user.operator ? 'you are a server operator now' : 'you are no longer a server operator' });
    }
  }

  /** Who the session is, as room moderation judges it: its user, from the session's address. */
  actorOf(session: Session): Actor {
    return {
      nickFold: session.nickKey ?? '',
      account: session.account === null ? null : caseFold(session.account),
      address: addressOf(session.peer.remote),
      serverOperator: this.isOperator(session),
    };
  }

  /** The user of this node a member event is about, or null (another node's, or gone). */
  localUser(member: MemberRef): User | null {
    if (member.node !== this.engine.node) return null;
    const user = this.users.get(member.sid);
    return user && !user.closed ? user : null;
  }

  /**
   * Events were lost: each room is read again from the engine, members here get the messages they
   * missed, and its member list is replaced by the engine's.
   */
  private resync(): void {
    this.rooms.catchUpAll(async (room) => {
      const snapshot = await this.engine.openRoom(room.key, room.name);
      await this.timeline.deliverMissed(room, snapshot.seq);
      this.rooms.replaceRemote(room, snapshot);
      room.topic = snapshot.topic;
      room.policy = snapshot.policy;
      this.rooms.changed();
    });
  }

  /** Sends `bye` to everyone, commits what is pending and stops. */
  async shutdown(reason: string): Promise<void> {
    // Everyone here is leaving together: nobody is told of each other's leaving (a text-mode user saw
    // a line per user before its own bye). Other nodes hear it when the engine stops.
    this.stopping = true;
    this.logins.stop();
    if (this.banTimer) clearTimeout(this.banTimer);
    await this.commits.drain();
    await this.markers.stop();
    for (const session of [...this.sessions.values()]) session.peer.close(reason);
  }
}
