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
import { nanoid } from 'nanoid';
import { ErrorCode, ProtocolFault } from '../shared/errors.js';
import { LOBBY, WHO_PREVIEW } from '../shared/limits.js';
import type { ServerMessage } from '../shared/protocol.js';
import { caseFold } from '../shared/validate.js';
import { monotonic, type StallWatch } from './clock.js';
import type { CommitQueue } from './commit-queue.js';
import type { Config } from './config.js';
import type { DirectMessage, DmOutcome, Engine, EngineEvent, EngineSink, MemberRef } from './engine/engine.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import { Outgoing } from './outgoing.js';
import type { BlockList } from 'node:net';
import { addressOf } from './accounts/login.js';
import { LoginThrottle } from './accounts/login-throttle.js';
import { banList, isBanned } from './server-bans.js';
import { applyPolicy } from './moderation/apply-policy.js';
import type { Actor } from './moderation/policy.js';
import type { Account } from './engine/accounts.js';
import { applyJoin, applyNick, applyPart, applyTopic } from './membership.js';
import { TokenBucket } from './rate-limit.js';
import type { Room } from './room.js';
import { ServedRooms } from './served-rooms.js';
import { Timeline } from './timeline.js';
import { Session, type Peer } from './session.js';

export type HubConfig = Pick<Config, 'serverName' | 'motd' | 'maxConnections' | 'rateLimit' | 'rateBurst'
  | 'abuseStrikes' | 'registrationTimeoutMs' | 'announceLimit' | 'maxBufferedBytes' | 'maxRooms'
  | 'maxRoomsPerConnection' | 'maxRoomMembers' | 'maxTopicBytes' | 'roomRate'>
  & Partial<Pick<Config, 'password' | 'requireAccount' | 'accountRooms' | 'operators'>>;

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
  readonly sessions = new Map<string, Session>();
  /** Sessions of this node by folded nick; the engine decides who may hold a nick. */
  private readonly nicks = new Map<string, Session>();
  readonly rooms: ServedRooms;
  readonly timeline: Timeline;
  /** Requests waiting for their event, by `<kind>:<sid>[:<room>]`. */
  private readonly waiting = new Map<string, () => void>();
  readonly logins: LoginThrottle;
  /** Folded names of the rooms where only logged-in users may speak. */
  readonly accountRooms: ReadonlySet<string>;
  /** Folded names of the accounts that are server operators. */
  readonly operators: ReadonlySet<string>;
  /** Told the server bans in force whenever they change (admission checks new sockets against them). */
  onBans: (list: BlockList) => void = () => {};
  private banTimer: NodeJS.Timeout | null = null;
  private bansLoading: Promise<void> | null = null;

  constructor(
    readonly config: HubConfig,
    readonly engine: Engine,
    readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly stalls: StallWatch | null = null,
    /** Addresses free of the per-address limits: they are throttled per account only. */
    exempt: (address: string) => boolean = () => false,
  ) {
    this.logins = new LoginThrottle(exempt);
    this.accountRooms = new Set((config.accountRooms ?? '').split(',').filter(Boolean).map(caseFold));
    this.operators = new Set((config.operators ?? '').split(',').filter(Boolean).map(caseFold));
    const traffic = () => this.bucket(config.roomRate, config.roomRate * ROOM_BURST_SECONDS);
    this.rooms = new ServedRooms(engine, traffic, (event) => this.apply(event), () => this.flushed(), log);
    this.timeline = new Timeline(engine, this.rooms, this, metrics, log);
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
    const session = new Session(
      nanoid(),
      peer,
      this.bucket(this.config.rateLimit, this.config.rateBurst),
      this.bucket(STRIKE_RECOVERY_PER_SECOND, this.config.abuseStrikes),
    );
    session.registrationTimer = setTimeout(() => {
      if (!session.registered) session.peer.close('registration timeout');
    }, this.config.registrationTimeoutMs);
    session.registrationTimer.unref();
    this.sessions.set(session.id, session);
    return session;
  }

  bucket(rate: number, burst: number): TokenBucket {
    return new TokenBucket(rate, burst, monotonic, this.forgiven);
  }

  /** One function for every bucket: a closure per bucket would cost every idle connection ~200 bytes. */
  private readonly forgiven = (now: number): number => this.stalls?.forgivenMs(now) ?? 0;

  /**
   * Forgets a connection: it leaves its rooms here at once, and the engine tells everyone (members see
   * `left`); its nick is freed. Idempotent.
   */
  disconnect(session: Session, reason: string): void {
    if (session.closed) return;
    session.closed = true;
    if (session.registrationTimer) clearTimeout(session.registrationTimer);
    const member = session.registered ? this.memberOf(session) : null;
    for (const room of session.rooms) {
      room.remove(session);
      session.exit(room);
      this.rooms.changed();
      if (member) this.quietly(this.engine.part(room.key, room.name, member, reason), 'part');
    }
    if (session.nickKey && this.nicks.get(session.nickKey) === session) this.nicks.delete(session.nickKey);
    if (session.nick) this.quietly(this.engine.releaseNick(session.nick, session.id), 'release nick');
    this.sessions.delete(session.id);
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

  memberOf(session: Session): MemberRef {
    return { node: this.engine.node, sid: session.id, nick: session.nick! };
  }

  /** Nick bookkeeping of this node once the engine granted `nick` to `session`. */
  holdNick(session: Session, nick: string): void {
    const key = caseFold(nick);
    if (session.nickKey && session.nickKey !== key && this.nicks.get(session.nickKey) === session) this.nicks.delete(session.nickKey);
    this.nicks.set(key, session);
    session.nick = nick;
    session.nickKey = key;
  }

  // ---- sending ------------------------------------------------------------------------------

  send(session: Session, message: ServerMessage): void {
    this.metrics.messagesOut.inc();
    this.sendOut(session, new Outgoing(message));
  }

  /** Sends a message built once for many (a cached member list, say). */
  sendShared(session: Session, out: Outgoing): void {
    this.metrics.messagesOut.inc();
    this.sendOut(session, out);
  }

  /**
   * Sends the answer to a request that makes the server read and send a lot (history, rooms, who) and
   * charges the requester for its size: a client that asks for more than it may is slowed, not served.
   */
  reply(session: Session, out: Outgoing): void {
    this.sendShared(session, out);
    // Bytes, not UTF-16 units: a page of CJK text is three times its length on the wire.
    session.flood.charge(Buffer.byteLength(out.json) / REPLY_BYTES_PER_TOKEN);
  }

  sendOut(session: Session, out: Outgoing): void {
    if (session.closed) return;
    session.peer.deliver(out);
    this.metrics.deliveries.inc();
  }

  fail(session: Session, code: ErrorCode, message: string, ref?: string): void {
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
        this.waiting.delete(key);
        reject(new ProtocolFault(ErrorCode.INTERNAL, 'the cluster did not confirm the request in time; try again'));
      }, EVENT_TIMEOUT_MS);
      this.waiting.set(key, () => {
        clearTimeout(timer);
        resolve();
      });
      request().catch((err: unknown) => {
        if (!this.waiting.delete(key)) return;
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  applied(key: string): void {
    const done = this.waiting.get(key);
    if (!done) return;
    this.waiting.delete(key);
    done();
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
  welcomeToRoom(session: Session, room: Room): void {
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
  receiveDm(toFold: string, dm: DirectMessage): DmOutcome {
    const target = this.nicks.get(toFold);
    if (!target || target.closed) return 'no-such-user';
    dm.to = target.nick!;
    // Made at the first DM: most users never get one, and every idle connection would carry it.
    target.inbound ??= this.bucket(DM_BYTES_PER_SECOND, DM_BURST_BYTES);
    if (target.peer.outputBacklog() > this.config.maxBufferedBytes / 2 || !target.inbound.take(Buffer.byteLength(dm.text))) {
      return 'busy';
    }
    this.send(target, { type: 'dm', ...dm });
    return 'delivered';
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
      case 'kill': return this.kill(event);
      case 'account': return void this.accountChanged(event.nick).catch((err: unknown) => this.log.warn({ err }, 'could not read a changed account'));
      case 'policy': return applyPolicy(this, event);
      case 'notify': {
        const session = this.nicks.get(event.nick);
        return session && !session.closed ? this.send(session, event.message) : undefined;
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

  /** Closes this node's session holding the nick, if there is one (ghosted, or disconnected by an operator). */
  private kill(event: Extract<EngineEvent, { kind: 'kill' }>): void {
    const session = this.nicks.get(event.nick);
    if (!session || session.closed || session.id === event.except) return;
    this.log.info({ sid: session.id, nick: session.nick, reason: event.reason }, 'session closed by request');
    session.peer.close(event.reason);
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
    return session.operator;
  }

  /** The session is logged in to `account` now (null: a guest again), an operator or not. */
  logIn(session: Session, account: Account | null): void {
    session.account = account?.name ?? null;
    session.operator = account !== null && (this.operators.has(caseFold(account.name)) || account.operator === true);
  }

  /** An account changed elsewhere (made or unmade operator): its session here, if any, takes it up. */
  private async accountChanged(fold: string): Promise<void> {
    const session = this.nicks.get(fold);
    if (!session || session.closed || session.account === null || caseFold(session.account) !== fold) return;
    const account = await this.engine.accounts.get(fold);
    const was = session.operator;
    this.logIn(session, account);
    if (session.operator !== was) {
      this.send(session, { type: 'notice', text: session.operator ? 'you are a server operator now' : 'you are no longer a server operator' });
    }
  }

  /** Who the session is, as room moderation judges it. */
  actorOf(session: Session): Actor {
    return {
      nickFold: session.nickKey ?? '',
      account: session.account === null ? null : caseFold(session.account),
      address: addressOf(session.peer.remote),
      serverOperator: this.isOperator(session),
    };
  }

  /** The session of this node a member event is about, or null (another node's, or gone). */
  localSession(member: MemberRef): Session | null {
    if (member.node !== this.engine.node) return null;
    const session = this.sessions.get(member.sid);
    return session && !session.closed ? session : null;
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
    this.logins.stop();
    if (this.banTimer) clearTimeout(this.banTimer);
    await this.commits.drain();
    for (const session of [...this.sessions.values()]) session.peer.close(reason);
  }
}
