/**
 * The hub: this process's sessions and the rooms it serves. Knows nothing of sockets (it talks to
 * `Peer`) and nothing of storage (it talks to the `Engine`).
 *
 * Shared state changes (messages, joins, parts, topics, nicks) are asked of the engine by the commands
 * and take effect when the engine's ordered events are applied here (`apply`), the same way on one node
 * or many: a message is delivered to whoever is a member when its event arrives, and a joiner's history
 * ends at the seq its join event carries, so nobody gets a message twice or misses one.
 */
import { nanoid } from 'nanoid';
import { ErrorCode, ProtocolFault } from '../shared/errors.js';
import { HISTORY_PAGE_MAX, LOBBY, WHO_PREVIEW } from '../shared/limits.js';
import type { ChatMessage, RoomInfo, ServerMessage } from '../shared/protocol.js';
import { caseFold } from '../shared/validate.js';
import { monotonic, type StallWatch } from './clock.js';
import { CommitQueue } from './commit-queue.js';
import type { Config } from './config.js';
import type { DirectMessage, DmOutcome, Engine, EngineEvent, EngineSink, MemberRef, RoomSnapshot } from './engine/engine.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import { Outgoing } from './outgoing.js';
import { TokenBucket } from './rate-limit.js';
import { Room } from './room.js';
import { sortRoomList } from './room-list.js';
import { Session, type Peer } from './session.js';

export type HubConfig = Pick<Config, 'serverName' | 'motd' | 'maxConnections' | 'rateLimit' | 'rateBurst'
  | 'abuseStrikes' | 'registrationTimeoutMs' | 'announceLimit' | 'maxBufferedBytes' | 'maxRooms'
  | 'maxRoomsPerConnection' | 'maxRoomMembers' | 'maxTopicBytes' | 'roomRate'>;

const STRIKE_RECOVERY_PER_SECOND = 0.2;
/** DM text one user may be sent per second by everyone together, and at once. */
const DM_BYTES_PER_SECOND = 64 * 1024;
const DM_BURST_BYTES = 256 * 1024;
/** A room may take this many seconds' worth of its byte rate at once. */
const ROOM_BURST_SECONDS = 4;
/**
 * Joins and parts in a room of at least this many members are held up to PRESENCE_WINDOW_MS and sent
 * together: filling a room announces every newcomer to every member, and one write per member per join
 * made that quadratic in system calls. Nothing else waits: a message or topic flushes them first.
 */
export const PRESENCE_BATCH_MEMBERS = 64;
/** Reply bytes that cost as much of a connection's budget as one message: a full history page costs 8. */
export const REPLY_BYTES_PER_TOKEN = 32 * 1024;
export const PRESENCE_WINDOW_MS = 25;
/** A request whose event has not come back from the engine by then is answered INTERNAL. */
const EVENT_TIMEOUT_MS = 10_000;

/** A room this node is starting to serve: its events wait for the snapshot. */
interface Opening {
  events: EngineEvent[];
  room: Promise<Room>;
  /** Joiners waiting for it (they count as the room's `expected` once it is open). */
  joiners: number;
}

interface PendingAck {
  session: Session;
  ref: string;
}

export class Hub implements EngineSink {
  readonly sessions = new Map<string, Session>();
  /** Sessions of this node by folded nick; the engine decides who may hold a nick. */
  private readonly nicks = new Map<string, Session>();
  private readonly rooms = new Map<string, Room>();
  private readonly opening = new Map<string, Opening>();
  /** Messages whose sender waits for an ack, by message id. */
  private readonly acks = new Map<string, PendingAck>();
  /** Requests waiting for their event, by `<kind>:<sid>[:<room>]`. */
  private readonly waiting = new Map<string, () => void>();
  /** The room list as `rooms` sorts it, until a room, a member count or a topic changes. */
  private sortedRooms: RoomInfo[] | null = null;
  readonly commits: CommitQueue;

  constructor(
    readonly config: HubConfig,
    readonly engine: Engine,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly stalls: StallWatch | null = null,
  ) {
    this.commits = new CommitQueue((batch) => engine.append(batch), metrics, log, () => engine.reachable);
  }

  /** Starts the engine and opens #lobby, where every session lands. */
  async start(): Promise<void> {
    await this.engine.start(this);
    await this.openRoom(LOBBY, LOBBY);
  }

  /** Rooms served here, and those being opened. */
  get roomCount(): number {
    return this.rooms.size + this.opening.size;
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
      this.sortedRooms = null;
      if (member) this.quietly(this.engine.part(room.key, room.name, member, reason), 'part');
    }
    if (session.nickKey && this.nicks.get(session.nickKey) === session) this.nicks.delete(session.nickKey);
    if (session.nick) this.quietly(this.engine.releaseNick(session.nick, session.id), 'release nick');
    this.sessions.delete(session.id);
  }

  /** The engine's side of a closed session; it cannot be told, so a failure is only logged. */
  private quietly(work: Promise<void>, what: string): void {
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

  private sendOut(session: Session, out: Outgoing): void {
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

  private applied(key: string): void {
    const done = this.waiting.get(key);
    if (!done) return;
    this.waiting.delete(key);
    done();
  }

  // ---- rooms --------------------------------------------------------------------------------

  /** A room this node serves, if it does. */
  room(name: string): Room | undefined {
    return this.rooms.get(caseFold(name));
  }

  /** The room, if `session` is in it; otherwise NOT_IN_ROOM. */
  memberRoom(session: Session, name: string): Room {
    const room = this.rooms.get(caseFold(name));
    if (!room || !room.members.has(session)) throw new ProtocolFault(ErrorCode.NOT_IN_ROOM, `you are not in ${name}`);
    return room;
  }

  /**
   * The room served here, opened if need be, counted as expecting one more joiner until `settle` is
   * called: it is not dropped while a join is on its way.
   */
  async enterRoom(key: string, name: string): Promise<Room> {
    const served = this.rooms.get(key);
    if (served) {
      served.expected++;
      return served;
    }
    const opening = this.opening.get(key);
    if (opening) {
      opening.joiners++;
      return opening.room;
    }
    return this.openRoom(key, name, 1);
  }

  /** A joiner counted by `enterRoom` has landed or given up. */
  settle(room: Room): void {
    room.expected--;
    this.forgetIfIdle(room);
  }

  private openRoom(key: string, name: string, joiners = 0): Promise<Room> {
    const opening: Opening = { events: [], joiners, room: null! };
    opening.room = this.engine.openRoom(key, name).then(
      (snapshot) => {
        this.opening.delete(key);
        const room = this.roomFrom(snapshot);
        room.expected = opening.joiners;
        this.rooms.set(key, room);
        this.sortedRooms = null;
        for (const event of opening.events) this.apply(event);
        return room;
      },
      (err: unknown) => {
        this.opening.delete(key);
        throw err;
      },
    );
    this.opening.set(key, opening);
    return opening.room;
  }

  private roomFrom(snapshot: RoomSnapshot): Room {
    const traffic = this.bucket(this.config.roomRate, this.config.roomRate * ROOM_BURST_SECONDS);
    const recent = snapshot.recent;
    // A full page from the store means older messages exist; an empty room or a short page is complete.
    const room = new Room(snapshot.key, snapshot.name, snapshot.seq, recent.messages, traffic, !recent.more);
    room.topic = snapshot.topic;
    for (const member of snapshot.members) {
      if (member.node !== this.engine.node) room.remote.set(caseFold(member.nick), member);
    }
    return room;
  }

  /** A room with nobody here (and no join on its way) is no longer served. #lobby always is. */
  forgetIfIdle(room: Room): void {
    if (room.members.size === 0 && room.expected === 0 && room.key !== LOBBY && this.rooms.get(room.key) === room) {
      this.rooms.delete(room.key);
      this.engine.closeRoom(room.key);
      this.sortedRooms = null;
    }
  }

  /** The rooms served here, as `rooms` lists them: on a single node, these are all the rooms. */
  sortedRoomList(): RoomInfo[] {
    if (this.sortedRooms) return this.sortedRooms;
    const list: RoomInfo[] = [];
    for (const room of this.rooms.values()) list.push({ name: room.name, users: room.total, topic: room.topic });
    return (this.sortedRooms = sortRoomList(list));
  }

  /**
   * Tells the members of a join (the joiner included) or a part: at once in a small room, held for
   * PRESENCE_WINDOW_MS in a busy one, so that a fill's announcements share writes.
   */
  private announce(room: Room, out: Outgoing, joiner?: Session): void {
    this.metrics.messagesOut.inc();
    if (room.members.size < PRESENCE_BATCH_MEMBERS) return void this.metrics.deliveries.inc(room.broadcast(out));
    if (joiner) this.sendOut(joiner, out);
    if (room.holdPresence(out, joiner)) {
      setTimeout(() => this.metrics.deliveries.inc(room.flushPresence()), PRESENCE_WINDOW_MS);
    }
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
    const id = nanoid();
    const message = action
      ? { roomKey: room.key, room: room.name, id, from: session.nick!, text, action: true as const }
      : { roomKey: room.key, room: room.name, id, from: session.nick!, text };
    if (ref !== undefined) this.acks.set(id, { session, ref });
    this.commits.add(message, (why) => {
      this.acks.delete(id);
      if (!session.closed) {
        this.fail(session, ErrorCode.INTERNAL, `the message could not be stored, so it was not sent${why ? `: ${why}` : ''}`, ref);
      }
    });
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
    return this.rooms.has(roomKey) || this.opening.has(roomKey);
  }

  apply(event: EngineEvent): void {
    if (event.kind !== 'nick' && event.kind !== 'resync') {
      const opening = this.opening.get(event.roomKey);
      if (opening) return void opening.events.push(event);
    }
    switch (event.kind) {
      case 'msg': return this.applyMessage(event);
      case 'join': return this.applyJoin(event);
      case 'part': return this.applyPart(event);
      case 'topic': return this.applyTopic(event);
      case 'nick': return this.applyNick(event);
      case 'resync': return this.resync();
    }
  }

  flushed(): void {
    this.commits.afterFlush();
  }

  fenced(reason: string): void {
    this.log.error({ reason }, 'this node lost its place in the cluster; closing every session');
    for (const session of [...this.sessions.values()]) session.peer.close('shutdown');
  }

  private applyMessage(event: Extract<EngineEvent, { kind: 'msg' }>): void {
    const { roomKey, message } = event;
    const room = this.rooms.get(roomKey);
    if (room && message.seq > room.deliveredSeq + 1) return this.repair(room, event);
    if (room && message.seq > room.deliveredSeq) {
      room.remember(message);
      this.metrics.messagesOut.inc();
      this.metrics.deliveries.inc(room.broadcast(new Outgoing({ type: 'message', ...message })));
    }
    const ack = this.acks.get(message.id);
    if (ack) {
      this.acks.delete(message.id);
      if (!ack.session.closed) this.send(ack.session, { type: 'ack', ref: ack.ref, id: message.id, seq: message.seq, ts: message.ts });
    }
  }

  /** The session of this node a member event is about, or null (another node's, or gone). */
  private localSession(member: MemberRef): Session | null {
    if (member.node !== this.engine.node) return null;
    const session = this.sessions.get(member.sid);
    return session && !session.closed ? session : null;
  }

  private applyJoin(event: Extract<EngineEvent, { kind: 'join' }>): void {
    const { member } = event;
    const room = this.rooms.get(event.roomKey);
    const session = this.localSession(member);
    if (member.node === this.engine.node && (!session || !room)) {
      // Its session closed, or its request gave up (INTERNAL) and the room was let go, while the join was
      // on its way: it must not stay a member in the cluster, where nothing here would ever part it.
      this.quietly(this.engine.part(event.roomKey, event.room, member, session ? 'join timed out' : 'connection closed'), 'part');
      return;
    }
    if (!room) return;
    const joined = new Outgoing({ type: 'joined', room: room.name, nick: member.nick, ts: event.ts });
    // A join already reflected here (read again after a room snapshot, or sent again): the joiner is
    // answered as for a repeated join, and nobody else hears it twice.
    if (session && room.members.has(session)) {
      this.sendShared(session, joined);
      this.welcomeToRoom(session, room);
      return this.applied(`join:${session.id}:${room.key}`);
    }
    if (!session && room.remote.get(caseFold(member.nick))?.sid === member.sid) return;
    if (session) {
      room.add(session);
      session.enter(room);
    } else {
      room.remote.set(caseFold(member.nick), member);
      room.renamed();
    }
    this.sortedRooms = null;
    // In a room too large to announce single joins, only the joiner is told.
    if (room.total <= this.config.announceLimit) this.announce(room, joined, session ?? undefined);
    else if (session) this.sendShared(session, joined);
    if (session) {
      this.welcomeToRoom(session, room);
      this.applied(`join:${session.id}:${room.key}`);
    }
  }

  private applyPart(event: Extract<EngineEvent, { kind: 'part' }>): void {
    const { member } = event;
    const room = this.rooms.get(event.roomKey);
    const session = this.localSession(member);
    if (!room) return;
    if (session && !room.members.has(session)) return this.applied(`part:${session.id}:${room.key}`);
    if (session) {
      room.remove(session);
      session.exit(room);
    } else if (room.remote.get(caseFold(member.nick))?.sid === member.sid) {
      room.remote.delete(caseFold(member.nick));
      room.renamed();
    } else if (member.node !== this.engine.node) {
      return; // not a member known here: nothing to announce
    }
    this.sortedRooms = null;
    const out = new Outgoing(event.reason === undefined
      ? { type: 'left', room: room.name, nick: member.nick }
      : { type: 'left', room: room.name, nick: member.nick, reason: event.reason });
    // In a room too large to announce single parts, only the leaver is told.
    if (room.total < this.config.announceLimit) this.announce(room, out);
    else this.metrics.messagesOut.inc();
    if (session) {
      this.sendOut(session, out);
      this.applied(`part:${session.id}:${room.key}`);
    }
    this.forgetIfIdle(room);
  }

  private applyTopic(event: Extract<EngineEvent, { kind: 'topic' }>): void {
    const room = this.rooms.get(event.roomKey);
    if (!room) return;
    room.topic = event.topic;
    this.sortedRooms = null;
    this.metrics.messagesOut.inc();
    this.metrics.deliveries.inc(room.broadcast(new Outgoing({ type: 'topic', room: room.name, topic: event.topic, by: event.by, ts: event.ts })));
  }

  private applyNick(event: Extract<EngineEvent, { kind: 'nick' }>): void {
    const { member, old } = event;
    const session = this.localSession(member);
    if (session) this.holdNick(session, member.nick);
    // Its session closed while the rename was on its way: the new nick must not stay taken.
    else if (member.node === this.engine.node) this.quietly(this.engine.releaseNick(member.nick, member.sid), 'release nick');
    const out = new Outgoing({ type: 'nick', old, new: member.nick });
    this.metrics.messagesOut.inc();
    // Every room, not only the renamer's: one it has just left may still hold its `left`, which must go
    // out under the old nick before members rename it.
    for (const room of this.rooms.values()) this.metrics.deliveries.inc(room.flushPresence());
    const seen = new Set<Session>();
    if (session) seen.add(session);
    const oldKey = caseFold(old);
    for (const key of event.rooms) {
      const room = this.rooms.get(key);
      if (!room) continue;
      if (!session && room.remote.get(oldKey)?.sid === member.sid) {
        room.remote.delete(oldKey);
        room.remote.set(caseFold(member.nick), member);
      }
      room.renamed();
      for (const m of room.members) seen.add(m);
    }
    for (const m of seen) m.peer.deliver(out);
    this.metrics.deliveries.inc(seen.size);
    if (session) this.applied(`nick:${session.id}`);
  }

  /**
   * Events were lost: each room is read again from the engine, members here get the messages they
   * missed, and its member list is replaced by the engine's.
   */
  private resync(): void {
    for (const room of this.rooms.values()) {
      if (this.opening.has(room.key)) continue; // being read from the engine already
      this.catchUp(room, [], async () => {
        const snapshot = await this.engine.openRoom(room.key, room.name);
        await this.deliverMissed(room, snapshot.seq);
        room.remote.clear();
        for (const member of snapshot.members) if (member.node !== this.engine.node) room.remote.set(caseFold(member.nick), member);
        room.topic = snapshot.topic;
        room.renamed();
        this.sortedRooms = null;
      });
    }
  }

  /**
   * A room's message arrived after a hole in its seqs (its events were trimmed from the bus under this
   * node, or its commit failed on a single node): the missing ones are read from the log first.
   */
  private repair(room: Room, event: Extract<EngineEvent, { kind: 'msg' }>): void {
    this.log.warn({ room: room.key, from: room.deliveredSeq + 1, to: event.message.seq - 1 }, 'seq gap in room events: reading it from the log');
    this.catchUp(room, [event], () => this.deliverMissed(room, event.message.seq - 1));
  }

  /** Holds the room's events (starting with `held`) while `work` reads from the engine, then applies them. */
  private catchUp(room: Room, held: EngineEvent[], work: () => Promise<void>): void {
    const opening: Opening = { events: held, joiners: 0, room: null! };
    this.opening.set(room.key, opening);
    opening.room = work().catch((err: unknown) => {
      this.log.error({ err, room: room.key }, 'could not read a room from the engine');
    }).then(() => {
      this.opening.delete(room.key);
      for (const event of opening.events) this.apply(event);
      this.commits.afterFlush();
      return room;
    });
  }

  /**
   * Delivers what `room` missed up to `seq`. What the log no longer holds (or cannot be read now) is
   * skipped for good, so a hole is repaired once, never retried in a loop; clients fill it from history.
   */
  private async deliverMissed(room: Room, seq: number): Promise<void> {
    try {
      for (const message of await this.missed(room, seq)) this.applyMessage({ kind: 'msg', roomKey: room.key, message });
    } finally {
      if (room.deliveredSeq < seq) room.deliveredSeq = seq;
    }
  }

  /** The messages after what `room` delivered, up to `seq`, oldest first, paged back from the engine. */
  private async missed(room: Room, seq: number): Promise<ChatMessage[]> {
    const pages: ChatMessage[][] = [];
    let before = seq + 1;
    while (before > room.deliveredSeq + 1) {
      const page = await this.engine.page(room.key, room.name, before, HISTORY_PAGE_MAX);
      const newer = page.messages.filter((m) => m.seq > room.deliveredSeq);
      pages.unshift(newer);
      if (!page.more || newer.length < page.messages.length || page.messages.length === 0) break;
      before = page.messages[0]!.seq;
    }
    return pages.flat();
  }

  /** Sends `bye` to everyone, commits what is pending and stops. */
  async shutdown(reason: string): Promise<void> {
    await this.commits.drain();
    for (const session of [...this.sessions.values()]) session.peer.close(reason);
  }
}
