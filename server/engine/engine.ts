/**
 * The engine: where rooms' seqs, durable history, nicks and membership are decided. The hub keeps only
 * what this process serves (sessions, local members, recent windows) and applies the engine's ordered
 * event stream, the same way in both modes:
 *
 * - LocalEngine: one process, SQLite. Events are emitted in process (a message's once it is committed).
 * - RedisEngine: a cluster. Events are what every node reads from one Redis stream, `chat:bus`, so
 *   every node sees one order per room.
 *
 * A request that changes shared state (join, part, topic, nick) resolves once the engine has accepted
 * it; its effect on sessions happens when its event is applied, on every node alike.
 */
import type { BanInfo, ChatMessage, RoomInfo, ServerMessage } from '../../shared/protocol.js';
import type { RoomPolicy } from '../moderation/policy.js';
import type { AccountDirectory } from './accounts.js';

/**
 * A room member as the cluster knows it: the node holding its connection, its session, its nick, its
 * away text while it is away and its account while it is logged in (neither is part of its identity:
 * two refs to one member may differ in them).
 */
export interface MemberRef {
  node: string;
  sid: string;
  nick: string;
  away?: string;
  account?: string;
}

/** A message to append: the engine gives it its seq and ts. `room` is the display name; `account` the sender's. */
export interface NewMessage {
  roomKey: string;
  room: string;
  id: string;
  from: string;
  text: string;
  action?: true;
  account?: string;
}

export interface HistoryPage {
  messages: ChatMessage[];
  more: boolean;
}

export type SearchHistory = (roomKey: string, name: string, words: string[], before: number, limit: number) => Promise<HistoryPage>;

export type EngineEvent =
  /** A committed message; `message.room` is the display name. Per room, seqs arrive in order. */
  | { kind: 'msg'; roomKey: string; message: ChatMessage }
  /** `seq` is the room's last seq when the join was accepted: the joiner's history ends there. */
  | { kind: 'join'; roomKey: string; room: string; member: MemberRef; seq: number; ts: number }
  /** `quit`: the member left the server (its connection closed), not only the room. `by`: the operator who kicked it. */
  | { kind: 'part'; roomKey: string; room: string; member: MemberRef; reason?: string; quit?: true; by?: string }
  | { kind: 'topic'; roomKey: string; room: string; topic: string; by: string; ts: number }
  /**
   * The room's moderation state changed (roles, bans, mutes, invites, settings): this is all of it now.
   * `notice` is what members are shown (a moderation action).
   */
  | { kind: 'policy'; roomKey: string; room: string; policy: RoomPolicy; notice?: PolicyNotice }
  /** `member` carries the new nick; `rooms` are the keys of the rooms the member was in. */
  | { kind: 'nick'; member: MemberRef; old: string; rooms: string[] }
  /** The member is away with `member.away`, or back (none); `rooms` are the keys of the rooms it is in. */
  | { kind: 'away'; member: MemberRef; rooms: string[] }
  /**
   * The member logged in to `member.account`, or out (none); `was` is the account it left, if any (roles
   * go with accounts: each node shows its members what changed). `rooms` are the keys of the rooms it is in.
   */
  | { kind: 'login'; member: MemberRef; rooms: string[]; was?: string }
  /** Deliver `message` to the session holding the folded nick `nick`, on whichever node. */
  | { kind: 'notify'; nick: string; message: ServerMessage }
  /** The account of the folded nick `nick` changed (made or unmade operator): its session takes it up. */
  | { kind: 'account'; nick: string }
  /** The server's bans changed: read them again (serverBans). */
  | { kind: 'bans' }
  /** Close the session holding the folded nick `nick`, on whichever node, unless it is `except`. */
  | { kind: 'kill'; nick: string; reason: string; except?: string }
  /** Events were lost (the bus was trimmed under a stalled node): reload every room this node serves. */
  | { kind: 'resync' };

/** A direct message, as the receiver's node needs it (`account`: the sender's). Not stored, in either mode. */
export interface DirectMessage {
  id: string;
  from: string;
  to: string;
  text: string;
  ts: number;
  action?: true;
  account?: string;
}

export type DmOutcome = 'delivered' | 'no-such-user' | 'busy';

/** What the receiver's node says of a DM: the outcome and, once delivered, the target's nick as it spells it and its away text. */
export interface DmReceipt {
  outcome: DmOutcome;
  to?: string;
  away?: string;
}

/** A user as `whois` shows it: the nick as its holder spells it, its account when logged in, its away text. */
export interface UserInfo {
  nick: string;
  account?: string;
  away?: string;
}

/** Users (with a nick) and rooms (with members) on every node, and how many nodes. */
export interface ClusterCounts {
  users: number;
  rooms: number;
  servers: number;
}
/** What a room is, cluster-wide, when this node starts serving it. */
export interface RoomSnapshot {
  key: string;
  name: string;
  /** The room's last seq: `recent` ends here and live events continue after it. */
  seq: number;
  topic: string;
  /** Every member, on every node. */
  members: MemberRef[];
  /** The newest page of history up to `seq`. */
  recent: HistoryPage;
  /** Its moderation state, or null for a room that never had any. */
  policy: RoomPolicy | null;
}

/** What the hub gives the engine to apply events and serve DMs. */
export interface EngineSink {
  /** Whether this node serves the room (cheap skip of others' traffic before parsing it). */
  serves(roomKey: string): boolean;
  apply(event: EngineEvent): void;
  /** After a run of events: the transports may send what they queued. */
  flushed(): void;
  /** A DM for a session of this node, found by its folded nick. */
  receiveDm(toFold: string, dm: DirectMessage): DmReceipt;
  /** The user of this node holding the folded nick, or null. */
  whois(nickFold: string): UserInfo | null;
  /** This node lost its lease (paused past it): every session must go. */
  fenced(reason: string): void;
}

export interface EngineHealth {
  ok: boolean;
  problems: string[];
  detail: Record<string, unknown>;
}

export interface Engine {
  /** This process's id in the cluster ('local' alone). */
  readonly node: string;
  /** Whether other processes share the rooms (rooms lists and nicks then come from the engine). */
  readonly shared: boolean;
  start(sink: EngineSink): Promise<void>;
  /**
   * False while the engine cannot take writes at all (Redis unreachable): messages waiting behind a
   * batch whose outcome is not known yet are refused at once rather than left hanging.
   */
  readonly reachable: boolean;

  /** Appends one batch (any rooms); resolves once durable. The `msg` events carry the seqs. */
  append(batch: NewMessage[]): Promise<void>;

  /** False when someone else holds the nick (compared case-folded). */
  claimNick(nick: string, sid: string): Promise<boolean>;
  releaseNick(nick: string, sid: string): Promise<void>;
  /** Claims `member.nick`, frees `old` and emits `nick`; false (and no event) when it is taken. */
  rename(member: MemberRef, old: string, roomKeys: string[]): Promise<boolean>;

  /** The room as it is now, for this node to start serving it. */
  openRoom(roomKey: string, name: string): Promise<RoomSnapshot>;
  /** This node no longer serves the room. */
  closeRoom(roomKey: string): void;
  join(roomKey: string, name: string, member: MemberRef): Promise<void>;
  /**
   * `quit`: the member is leaving the server, not only the room (IRC shows one QUIT for its rooms).
   * `by`: the operator who kicked it out (IRC shows a KICK).
   */
  part(roomKey: string, name: string, member: MemberRef, reason?: string, quit?: boolean, by?: string): Promise<void>;
  setTopic(roomKey: string, name: string, topic: string, by: string): Promise<void>;
  /**
   * Changes the room's moderation state: `change` gets the current one (empty for a room without) and
   * returns the next, and is run again if another change got in first. Every node serving the room gets
   * a `policy` event. Resolves with what was stored.
   */
  updatePolicy(roomKey: string, name: string, change: (current: RoomPolicy) => RoomPolicy, notice?: PolicyNotice): Promise<RoomPolicy>;
  /** The room's moderation state as stored (for a room this node does not serve), or null. */
  policy(roomKey: string): Promise<RoomPolicy | null>;
  /** Tells every node that the account `nickFold` changed (an `account` event). */
  accountChanged(nickFold: string): Promise<void>;
  /** Delivers `message` to the session holding `nickFold`, wherever it is (a `notify` event). */
  notify(nickFold: string, message: ServerMessage): Promise<void>;

  /**
   * The newest `limit` messages older than `before`, cut at REPLY_MAX_BYTES. Read off the event loop in
   * both engines, so it comes back as a promise: the connection's input gate holds the request until its
   * answer (and so its cost) is charged, and decides on the requests that arrived meanwhile only then.
   */
  page(roomKey: string, name: string, before: number, limit: number): HistoryPage | Promise<HistoryPage>;
  /** The oldest `limit` messages after `after` and before `before`, oldest first, cut the same way; off the event loop. */
  pageAfter(roomKey: string, name: string, after: number, before: number, limit: number): Promise<HistoryPage>;
  /** The seq of the message with that id (null: none), or of the last message before that time (0: none). */
  locate(roomKey: string, anchor: { id: string } | { ts: number }): Promise<number | null>;
  /**
   * The newest `limit` messages older than `before` that hold every one of `words` (see
   * shared/search.ts), oldest first, cut like `page`; read off the event loop. Null in an engine that
   * cannot search (the cluster's): the request is refused before anything is read.
   */
  readonly search: SearchHistory | null;
  /** Every room with members, cluster-wide; null when this node's rooms are all there are. */
  roomDirectory(): Promise<RoomInfo[]> | null;

  sendDm(toFold: string, dm: DirectMessage): Promise<DmReceipt>;
  /** The user holding the folded nick, asked of the node holding it; null when nobody does. */
  whois(nickFold: string): Promise<UserInfo | null>;
  /**
   * Marks `member` away with `member.away`, or back (none), for every node: an `away` event naming its
   * rooms (`roomKeys`), and what a node starting to serve one of them later reads in its snapshot.
   */
  setAway(member: MemberRef, roomKeys: string[]): Promise<void>;
  /**
   * Records `member.account` (none: a guest) for every node: what a node starting to serve one of its
   * rooms later reads in its snapshot and, when it is in rooms (`roomKeys`), a `login` event naming them
   * and `was`, the account it was logged in to before (none: it was a guest).
   */
  setAccount(member: MemberRef, roomKeys: string[], was?: string): Promise<void>;
  /** Users, rooms and nodes of the whole cluster; null when this node's are all there are. */
  counts(): Promise<ClusterCounts> | null;

  /** Registered nicks, shared by every node. */
  readonly accounts: AccountDirectory;
  /** The accounts' read markers (server/read-markers.ts keeps them in memory and writes them in batches). */
  readonly readMarkers: ReadMarkerStore;
  /** Closes the session holding `nickFold` wherever it is (a `kill` event), unless it is `except`. */
  kill(nickFold: string, reason: string, except?: string): Promise<void>;

  /** Every server ban, expired ones included until they are lifted. */
  serverBans(): Promise<BanInfo[]>;
  /** Adds (or replaces, by mask) a server ban; every node gets a `bans` event. */
  addServerBan(ban: BanInfo): Promise<void>;
  /** Lifts a server ban; false when there was none. Every node gets a `bans` event. */
  removeServerBan(mask: string): Promise<boolean>;
  /** Appends to the durable moderation log. */
  logModeration(entry: ModerationEntry): Promise<void>;

  health(): EngineHealth;
  /** Gives back everything this node holds (members leave at once) and stops. */
  stop(): Promise<void>;
}

/** An account's read marker of one room: the newest seq read there, the room's name, when it last moved (ms). */
export interface ReadMarker {
  room: string;
  seq: number;
  ts: number;
}

/** A marker to store for a (folded) account and a room key, or to delete (null). */
export type MarkerChange = [account: string, roomKey: string, marker: ReadMarker | null];

/** Where read markers are kept: the SQLite registry on one node, a Redis hash per account in a cluster. */
export interface ReadMarkerStore {
  /** Every marker the (folded) account has, by room key. */
  load(account: string): Promise<Map<string, ReadMarker>>;
  /** Stores changes of any accounts in one write; rejects with EngineError when they were not stored. */
  save(changes: MarkerChange[]): Promise<void>;
}

/** A moderation action as a room's members are shown it (`moderation`). */
export interface PolicyNotice {
  by: string;
  action: string;
  detail: string;
  reason?: string;
  ts: number;
}

/** One moderation action, as the durable log keeps it. */
export interface ModerationEntry {
  ts: number;
  /** Who did it (a nick, with its account when logged in: `nick (account)`). */
  by: string;
  action: string;
  target: string;
  /** The room, for a room's moderation. */
  room?: string;
  reason?: string;
  expires?: number;
}

/** A failure whose message is fit for the client whose request it refused (it says what went wrong). */
export class EngineError extends Error {}
