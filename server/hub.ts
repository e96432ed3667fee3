/**
 * The hub: sessions, nicks, rooms and fan-out. Knows nothing of sockets (it talks to `Peer`) and
 * nothing of SQLite (it talks to `HistoryStore`).
 *
 * Room messages go through the commit queue (group commit: delivered and acked only once durable);
 * other events go out at once. A message is delivered to whoever is a member when its commit lands,
 * and history pages show only delivered messages, so nobody gets a message twice or misses one.
 */
import { nanoid } from 'nanoid';
import { ErrorCode, ProtocolFault } from '../shared/errors.js';
import { HISTORY_ON_JOIN, HISTORY_PAGE_MAX, LOBBY, PROTOCOL_VERSION, REPLY_MAX_BYTES, WHO_PREVIEW } from '../shared/limits.js';
import type { ChatMessage, RoomInfo, ServerMessage } from '../shared/protocol.js';
import { caseFold } from '../shared/validate.js';
import type { Bus } from './bus.js';
import { monotonic, type StallWatch } from './clock.js';
import { CommitQueue } from './commit-queue.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import { Outgoing } from './outgoing.js';
import { TokenBucket } from './rate-limit.js';
import { Room } from './room.js';
import { Session, type Peer } from './session.js';
import type { HistoryStore, StoredMessage } from './store/history-store.js';
import type { HistoryWriter } from './store/history-writer.js';

type HubConfig = Pick<Config, 'serverName' | 'motd' | 'maxConnections' | 'rateLimit' | 'rateBurst'
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

export class Hub {
  readonly sessions = new Map<string, Session>();
  private readonly nicks = new Map<string, Session>();
  private readonly rooms = new Map<string, Room>();
  /** The room list as `rooms` sorts it, until a room, a member count or a topic changes. */
  private sortedRooms: RoomInfo[] | null = null;
  readonly commits: CommitQueue;

  constructor(
    private readonly config: HubConfig,
    private readonly store: HistoryStore,
    writer: HistoryWriter,
    private readonly bus: Bus,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly stalls: StallWatch | null = null,
  ) {
    this.commits = new CommitQueue(writer, metrics, log);
    this.loadRoom(LOBBY);
    bus.subscribe((roomKey, out) => {
      const room = this.rooms.get(roomKey);
      if (room) this.metrics.deliveries.inc(room.broadcast(out));
    });
  }

  get roomCount(): number {
    return this.rooms.size;
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

  private bucket(rate: number, burst: number): TokenBucket {
    return new TokenBucket(rate, burst, monotonic, this.forgiven);
  }

  /** One function for every bucket: a closure per bucket would cost every idle connection ~200 bytes. */
  private readonly forgiven = (now: number): number => this.stalls?.forgivenMs(now) ?? 0;

  /** Forgets a connection: it leaves its rooms (members see `left`) and frees its nick. Idempotent. */
  disconnect(session: Session, reason: string): void {
    if (session.closed) return;
    session.closed = true;
    if (session.registrationTimer) clearTimeout(session.registrationTimer);
    for (const room of [...session.rooms]) this.leave(session, room, reason);
    if (session.nickKey && this.nicks.get(session.nickKey) === session) this.nicks.delete(session.nickKey);
    this.sessions.delete(session.id);
  }

  /** Counts a strike (flood, oversize); too many and the connection gets `bye` and is closed. */
  strike(session: Session): void {
    if (!session.strikes.take()) {
      this.log.warn({ sid: session.id, remote: session.peer.remote }, 'closing abusive connection');
      session.peer.close('flood');
    }
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

  private broadcast(room: Room, message: ServerMessage): void {
    this.metrics.messagesOut.inc();
    this.bus.publish(room.key, new Outgoing(message));
  }

  // ---- registration and nicks ---------------------------------------------------------------

  register(session: Session, nick: string): void {
    if (session.registered) throw new ProtocolFault(ErrorCode.ALREADY_REGISTERED, 'already registered');
    this.claimNick(session, nick);
    if (session.registrationTimer) clearTimeout(session.registrationTimer);
    session.registrationTimer = null;
    const welcome: ServerMessage = {
      type: 'welcome', sid: session.id, nick, server: this.config.serverName, version: PROTOCOL_VERSION,
    };
    if (this.config.motd) welcome.motd = this.config.motd;
    this.send(session, welcome);
    this.join(session, LOBBY);
  }

  changeNick(session: Session, nick: string): void {
    const old = session.nick!;
    const oldKey = session.nickKey!;
    if (nick === old) return this.send(session, { type: 'nick', old, new: nick });
    this.claimNick(session, nick);
    if (oldKey !== session.nickKey) this.nicks.delete(oldKey);
    for (const room of session.rooms) room.renamed();
    const out = new Outgoing({ type: 'nick', old, new: nick });
    this.metrics.messagesOut.inc();
    // Every room, not only the renamer's: one it has just left may still hold its `left`, which must go
    // out under the old nick before members rename it.
    for (const room of this.rooms.values()) this.metrics.deliveries.inc(room.flushPresence());
    const seen = new Set<Session>([session]);
    for (const room of session.rooms) for (const member of room.members) seen.add(member);
    for (const member of seen) member.peer.deliver(out);
    this.metrics.deliveries.inc(seen.size);
  }

  private claimNick(session: Session, nick: string): void {
    const key = caseFold(nick);
    const holder = this.nicks.get(key);
    if (holder && holder !== session) throw new ProtocolFault(ErrorCode.NICK_TAKEN, `nick ${nick} is taken`);
    this.nicks.set(key, session);
    session.nick = nick;
    session.nickKey = key;
  }

  // ---- rooms --------------------------------------------------------------------------------

  join(session: Session, name: string): void {
    const room = this.admitTo(session, name);
    const nick = session.nick!;
    const joined = new Outgoing({ type: 'joined', room: room.name, nick, ts: Date.now() });
    const rejoin = room.members.has(session);
    room.add(session);
    this.sortedRooms = null;
    session.enter(room);
    // In a room too large to announce single joins, only the joiner is told.
    if (rejoin || room.members.size > this.config.announceLimit) this.sendShared(session, joined);
    else this.announce(room, joined, session);
    const history = room.joinHistory()
      ?? new Outgoing({ type: 'history', room: room.name, ...this.history(room.name, Number.MAX_SAFE_INTEGER, HISTORY_ON_JOIN) });
    this.reply(session, history);
    // Built at the end of the turn, so everyone who joined in this turn shares one member list. A room
    // too large to announce joins gets a preview: a full list per joiner would make its fill quadratic.
    this.commits.later(() => {
      const large = room.members.size > this.config.announceLimit;
      this.reply(session, large ? room.whoPreview(Math.min(WHO_PREVIEW, this.config.announceLimit)) : room.who());
    });
  }

  /** The room `session` may join (loaded if need be), or TOO_MANY_ROOMS / ROOM_FULL. */
  private admitTo(session: Session, name: string): Room {
    const { maxRooms, maxRoomsPerConnection, maxRoomMembers } = this.config;
    const loaded = this.rooms.get(caseFold(name));
    if (loaded?.members.has(session)) return loaded;
    if (session.rooms.length >= maxRoomsPerConnection) {
      throw new ProtocolFault(ErrorCode.TOO_MANY_ROOMS, `you are in ${session.rooms.length} rooms, the most one connection may be in; part one first`);
    }
    if (!loaded && this.rooms.size >= maxRooms) {
      throw new ProtocolFault(ErrorCode.TOO_MANY_ROOMS, `the server holds its maximum of ${maxRooms} rooms; join an existing one`);
    }
    if (loaded && loaded.members.size >= maxRoomMembers) {
      throw new ProtocolFault(ErrorCode.ROOM_FULL, `${loaded.name} is full (${maxRoomMembers} members)`);
    }
    return loaded ?? this.loadRoom(name);
  }

  /**
   * Tells the members of a join (the joiner included) or a part: at once in a small room, held for
   * PRESENCE_WINDOW_MS in a busy one, so that a fill's announcements share writes.
   */
  private announce(room: Room, out: Outgoing, joiner?: Session): void {
    this.metrics.messagesOut.inc();
    if (room.members.size < PRESENCE_BATCH_MEMBERS) return this.bus.publish(room.key, out);
    if (joiner) this.sendOut(joiner, out);
    if (room.holdPresence(out, joiner)) {
      setTimeout(() => this.metrics.deliveries.inc(room.flushPresence()), PRESENCE_WINDOW_MS);
    }
  }

  part(session: Session, name: string, reason?: string): void {
    this.leave(session, this.memberRoom(session, name), reason);
  }

  private leave(session: Session, room: Room, reason?: string): void {
    room.remove(session);
    this.sortedRooms = null;
    session.exit(room);
    const out = new Outgoing(reason === undefined
      ? { type: 'left', room: room.name, nick: session.nick! }
      : { type: 'left', room: room.name, nick: session.nick!, reason });
    // In a room too large to announce single parts, only the leaver is told.
    if (room.members.size < this.config.announceLimit) this.announce(room, out);
    else this.metrics.messagesOut.inc();
    if (!session.closed) this.sendOut(session, out);
    this.forgetIfIdle(room);
  }

  /**
   * An empty room is dropped from memory, but not while its messages are still being committed: a room
   * loaded again from the store then would hand out their seqs a second time.
   */
  private forgetIfIdle(room: Room): void {
    if (room.members.size === 0 && room.unsettled === 0 && room.key !== LOBBY && this.rooms.get(room.key) === room) {
      this.rooms.delete(room.key);
      this.sortedRooms = null;
    }
  }

  say(session: Session, name: string, text: string, action: boolean, ref?: string): void {
    const room = this.memberRoom(session, name);
    // Every member must read what the room says: past its byte rate the room refuses, so no group of
    // talkers can push its readers into being dropped as slow consumers.
    if (!room.traffic.take(Buffer.byteLength(text))) {
      throw new ProtocolFault(ErrorCode.RATE_LIMITED, `${room.name} is getting more text than its members can read; try again shortly`);
    }
    const message: StoredMessage = {
      roomKey: room.key, room: room.name, id: nanoid(), seq: room.nextSeq(), from: session.nick!, text, ts: Date.now(),
    };
    if (action) message.action = true;
    room.unsettled++;
    this.commits.add(message, (stored, why) => this.deliverMessage(message, room, session, stored, ref, why));
  }

  private deliverMessage(message: StoredMessage, room: Room, sender: Session, stored: boolean, ref?: string, why?: string): void {
    room.unsettled--;
    this.forgetIfIdle(room);
    if (!stored) {
      this.fail(sender, ErrorCode.INTERNAL, `the message could not be stored, so it was not sent${why ? `: ${why}` : ''}`, ref);
      return;
    }
    const { roomKey: _key, ...chat } = message;
    room.remember(chat);
    this.metrics.messagesOut.inc();
    this.bus.publish(room.key, new Outgoing({ type: 'message', ...chat }));
    if (ref !== undefined && !sender.closed) {
      this.send(sender, { type: 'ack', ref, id: chat.id, seq: chat.seq, ts: chat.ts });
    }
  }

  dm(session: Session, to: string, text: string, action: boolean, ref?: string): void {
    const target = this.nicks.get(caseFold(to));
    if (!target) throw new ProtocolFault(ErrorCode.NO_SUCH_USER, `no user is called ${to}`);
    if (target !== session) this.admitDm(target, text);
    const base = { type: 'dm' as const, id: nanoid(), from: session.nick!, to: target.nick!, text, ts: Date.now() };
    const dm = action ? { ...base, action: true } : base;
    if (target !== session) this.send(target, dm);
    this.send(session, ref === undefined ? dm : { ...dm, ref });
  }

  /**
   * DMs to one user, from everyone together, are bounded in bytes per second and refused while the
   * user has a backlog: many senders must not get a reading user dropped as a slow consumer.
   */
  private admitDm(target: Session, text: string): void {
    // Made at the first DM: most users never get one, and every idle connection would carry it.
    target.inbound ??= this.bucket(DM_BYTES_PER_SECOND, DM_BURST_BYTES);
    if (target.peer.outputBacklog() > this.config.maxBufferedBytes / 2 || !target.inbound.take(Buffer.byteLength(text))) {
      throw new ProtocolFault(ErrorCode.RATE_LIMITED, `${target.nick} is being sent more than they can read; try again shortly`);
    }
  }

  setTopic(session: Session, name: string, topic: string): void {
    if (Buffer.byteLength(topic) > this.config.maxTopicBytes) {
      throw new ProtocolFault(ErrorCode.TEXT_INVALID, `topic is over ${this.config.maxTopicBytes} bytes`);
    }
    const room = this.memberRoom(session, name);
    const ts = Date.now();
    this.store.setTopic(room.key, topic, session.nick!, ts);
    room.topic = topic;
    this.sortedRooms = null;
    this.broadcast(room, { type: 'topic', room: room.name, topic, by: session.nick!, ts });
  }

  /**
   * A page of history as members have seen it: messages committed but not yet delivered are left out,
   * since they are about to arrive live (a joiner must not get them twice).
   */
  history(name: string, before: number, limit: number): { messages: ChatMessage[]; more: boolean } {
    const room = this.rooms.get(caseFold(name));
    if (!room) return this.store.page(caseFold(name), name, before, limit);
    const upTo = Math.min(before, room.deliveredSeq + 1);
    return room.recentPage(upTo, limit) ?? this.store.page(room.key, room.name, upTo, limit);
  }

  /** One page of the room list, largest first, from the `from`th room, cut at REPLY_MAX_BYTES. */
  roomList(from = 0): Extract<ServerMessage, { type: 'rooms' }> {
    const all = (this.sortedRooms ??= this.sortRooms());
    const rooms: RoomInfo[] = [];
    let bytes = 0;
    for (let i = from; i < all.length; i++) {
      const info = all[i]!;
      bytes += info.name.length + Buffer.byteLength(info.topic) + 40;
      if (bytes > REPLY_MAX_BYTES && rooms.length > 0) break;
      rooms.push(info);
    }
    const next = from + rooms.length;
    return next < all.length
      ? { type: 'rooms', rooms, total: all.length, more: true, next }
      : { type: 'rooms', rooms, total: all.length, more: false };
  }

  private sortRooms(): RoomInfo[] {
    const list: RoomInfo[] = [];
    for (const room of this.rooms.values()) list.push({ name: room.name, users: room.members.size, topic: room.topic });
    return list.sort((a, b) => b.users - a.users || a.name.localeCompare(b.name));
  }

  /** Every member of the room, as `who` answers it. */
  who(name: string): Outgoing {
    const room = this.rooms.get(caseFold(name));
    return room ? room.who() : new Outgoing({ type: 'who', room: name, users: [], total: 0 });
  }

  /** The room, if `session` is in it; otherwise NOT_IN_ROOM. */
  private memberRoom(session: Session, name: string): Room {
    const room = this.rooms.get(caseFold(name));
    if (!room || !room.members.has(session)) throw new ProtocolFault(ErrorCode.NOT_IN_ROOM, `you are not in ${name}`);
    return room;
  }

  private loadRoom(name: string): Room {
    const key = caseFold(name);
    let room = this.rooms.get(key);
    if (!room) {
      const record = this.store.loadRoom(key);
      // The page is cut by bytes too, so only the store can say whether older messages exist.
      const recent = this.store.page(key, name, Number.MAX_SAFE_INTEGER, HISTORY_PAGE_MAX);
      const traffic = this.bucket(this.config.roomRate, this.config.roomRate * ROOM_BURST_SECONDS);
      room = new Room(key, name, record.lastSeq, recent.messages, traffic, !recent.more);
      room.topic = record.topic;
      this.rooms.set(key, room);
      this.sortedRooms = null;
    }
    return room;
  }

  /** Sends `bye` to everyone, commits what is pending and stops. */
  async shutdown(reason: string): Promise<void> {
    await this.commits.drain();
    for (const session of [...this.sessions.values()]) session.peer.close(reason);
  }
}

