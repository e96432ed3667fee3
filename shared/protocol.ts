/**
 * Protocol v1 message types: one discriminated union per direction, keyed by `type`.
 * docs/protocol.md is the prose version of this file.
 */
import type { ErrorCode } from './errors.js';

// ---- client -> server -------------------------------------------------------------------------

/** `lobby: false`: do not join #lobby (IRC clients choose their rooms). */
export interface HelloMsg { type: 'hello'; nick: string; password?: string; client?: string; lobby?: boolean; ref?: string }
/** `key`: the room's password, when it has one. */
export interface JoinMsg { type: 'join'; room: string; key?: string; ref?: string }
export interface PartMsg { type: 'part'; room: string; reason?: string; ref?: string }
export interface SayMsg { type: 'say'; room: string; text: string; action?: boolean; ref?: string }
export interface DmMsg { type: 'dm'; to: string; text: string; action?: boolean; ref?: string }
export interface NickMsg { type: 'nick'; nick: string; ref?: string }
export interface TopicMsg { type: 'topic'; room: string; topic: string; ref?: string }
/**
 * `before` alone: the newest page older than it. `after`: the oldest page newer than it (and older than
 * `before`, when given), oldest first.
 */
export interface HistoryMsg { type: 'history'; room: string; before?: number; after?: number; limit?: number; ref?: string }
/** Finds a message's seq: by its `id`, or the last message before the time `ts` (ms). */
export interface LocateMsg { type: 'locate'; room: string; id?: string; ts?: number; ref?: string }
/** Messages of `room` holding every word of `query`, older than seq `before`; paged like `history`. */
export interface SearchMsg { type: 'search'; room: string; query: string; before?: number; limit?: number; ref?: string }
export interface RoomsMsg { type: 'rooms'; from?: number; ref?: string }
export interface WhoMsg { type: 'who'; room: string; ref?: string }
export interface PingMsg { type: 'ping'; ref?: string }
export interface QuitMsg { type: 'quit'; reason?: string; ref?: string }
/** Marks the user away with `reason` (every terminal of it); without one (or an empty one), back. */
export interface AwayMsg { type: 'away'; reason?: string; ref?: string }
/**
 * Accounts: the user has read `room` up to the message `seq` (the newest it has seen). The marker only
 * moves forward; the account's other terminals are told.
 */
export interface ReadMsg { type: 'read'; room: string; seq: number; ref?: string }
/** Who holds `nick`: its spelling, its account when logged in, its away text. */
export interface WhoisMsg { type: 'whois'; nick: string; ref?: string }
/** How many users and rooms there are (IRC's LUSERS). */
export interface StatsMsg { type: 'stats'; ref?: string }
/** Registers the sender's nick as an account with this password, and logs the session in. */
export interface RegisterMsg { type: 'register'; password: string; email?: string; ref?: string }
/** Logs in to `account` (the sender's nick by default); the session takes the account's nick. */
export interface IdentifyMsg { type: 'identify'; password: string; account?: string; ref?: string }
/** Changes the logged-in account's password. */
export interface PasswordMsg { type: 'password'; old: string; new: string; ref?: string }
/** Deletes the logged-in account; the session stays, as a guest. */
export interface DropMsg { type: 'drop'; password: string; ref?: string }
/** Disconnects whoever holds the registered nick `nick`, then takes it and logs in to its account. */
export interface GhostMsg { type: 'ghost'; nick: string; password: string; ref?: string }

/** Server operators: make a registered nick's account a server operator too (`grant`), or no longer. */
export interface OperatorMsg { type: 'operator'; account: string; grant: boolean; ref?: string }
/** Server operators: close the connection holding `nick`, on whichever node. */
export interface KillMsg { type: 'kill'; nick: string; reason?: string; ref?: string }
/**
 * With `room`: room operators ban a nick (a registered one: its account), an address or a CIDR block from
 * the room. Without: server operators ban an address or CIDR block from the server. For `duration`
 * seconds, or until lifted.
 */
export interface BanMsg { type: 'ban'; room?: string; mask: string; duration?: number; reason?: string; ref?: string }
export interface UnbanMsg { type: 'unban'; room?: string; mask: string; ref?: string }
/** The room's bans (its operators), or the server's (server operators). */
export interface BansMsg { type: 'bans'; room?: string; ref?: string }
/** Room operators: `nick` leaves the room, told why. */
export interface KickMsg { type: 'kick'; room: string; nick: string; reason?: string; ref?: string }
/** Room operators: who may not speak in the room (a nick, an account's nick, an address or block). */
export interface MuteMsg { type: 'mute'; room: string; mask: string; duration?: number; reason?: string; ref?: string }
export interface UnmuteMsg { type: 'unmute'; room: string; mask: string; ref?: string }
/** A role in a room: its operators, its voiced users (who speak in a moderated room), everyone else. */
export type RoomRole = 'op' | 'voice' | 'none';
/** Room operators: give or take a registered nick's role in the room. */
export interface RoleMsg { type: 'role'; room: string; account: string; role: RoomRole; ref?: string }
/** Room operators: let `nick` into the invite-only room once. */
export interface InviteMsg { type: 'invite'; room: string; nick: string; ref?: string }
/** Room operators: change the room's settings; a field left out stays as it is ('' / 0 / false turn one off). */
export interface SettingsMsg {
  type: 'settings'; room: string; inviteOnly?: boolean; key?: string; moderated?: boolean; secret?: boolean;
  topicOps?: boolean; limit?: number; ref?: string;
}

export type ClientMessage =
  | HelloMsg | JoinMsg | PartMsg | SayMsg | DmMsg | NickMsg | TopicMsg
  | HistoryMsg | LocateMsg | SearchMsg | RoomsMsg | WhoMsg | PingMsg | QuitMsg | AwayMsg | WhoisMsg | StatsMsg | ReadMsg
  | RegisterMsg | IdentifyMsg | PasswordMsg | DropMsg | GhostMsg
  | OperatorMsg | KillMsg | BanMsg | UnbanMsg | BansMsg | KickMsg | MuteMsg | UnmuteMsg | RoleMsg | InviteMsg | SettingsMsg;

export type ClientMessageType = ClientMessage['type'];

// ---- server -> client -------------------------------------------------------------------------

/**
 * A room message as delivered live and as stored in history. `account`: the sender's account, when it
 * was logged in (messages stored before accounts were recorded have none).
 */
export interface ChatMessage {
  room: string;
  id: string;
  seq: number;
  from: string;
  text: string;
  ts: number;
  action?: boolean;
  account?: string;
}

/** The flood budget of this connection, so a client can pace itself under it: `rate` a second (0: none), `burst` at once. */
export interface Limits { rate: number; burst: number }
/** `account`: the account the session is logged in to, when it is. */
export interface WelcomeEvt { type: 'welcome'; sid: string; nick: string; server: string; version: number; motd?: string; limits?: Limits; account?: string }
/**
 * `away`: the joiner's away text, when it is away; `account`: its account, when it is logged in. `role`:
 * the joiner's role in the room, when it has one.
 */
export interface JoinedEvt { type: 'joined'; room: string; nick: string; ts: number; away?: string; account?: string; role?: 'op' | 'voice' }
/**
 * `quit`: the user left the server (its last connection closed), not only the room. `by`: the operator
 * who kicked it out (`reason` then reads `kicked by <by>[: <why>]`).
 */
export interface LeftEvt { type: 'left'; room: string; nick: string; reason?: string; quit?: true; by?: string }
export interface MessageEvt extends ChatMessage { type: 'message' }
export interface AckEvt { type: 'ack'; ref: string; id: string; seq: number; ts: number }
/**
 * `away`: on the sender's copy (the one with `ref`), the target's away text when it is away. `account`:
 * the sender's account, when it is logged in.
 */
export interface DmEvt {
  type: 'dm'; id: string; from: string; to: string; text: string; ts: number; action?: boolean; ref?: string; away?: string; account?: string;
}
export interface NickEvt { type: 'nick'; old: string; new: string }
export interface TopicEvt { type: 'topic'; room: string; topic: string; by: string; ts: number }
export interface HistoryEvt { type: 'history'; room: string; messages: ChatMessage[]; more: boolean }
/** The newest matches older than the request's `before`, oldest first; `more`: older matches remain. */
export interface SearchEvt { type: 'search'; room: string; query: string; messages: ChatMessage[]; more: boolean; ref?: string }
export interface RoomInfo { name: string; users: number; topic: string }
/** One page of the room list, largest rooms first; `next` (with `more`) is the `from` of the next page. */
export interface RoomsEvt { type: 'rooms'; rooms: RoomInfo[]; total?: number; more?: boolean; next?: number }
/** `total` is the member count; `users` lists them all, except in the join preview of a large room. */
/**
 * `topic`: the room's topic, when it has one (a joiner learns it here). `away`: those of `users` who are
 * away. `accounts`: when any of `users` is logged in, each one's account in the order of `users` (null: a guest).
 * `ops`, `voiced`: those of `users` whose account holds that role in the room. `settings`: the room's
 * settings, when it has any (only members and operators are ever sent a room's `who` then).
 */
export interface WhoEvt {
  type: 'who'; room: string; users: string[]; total: number; topic?: string; away?: string[]; accounts?: (string | null)[];
  ops?: string[]; voiced?: string[]; settings?: RoomSettingsInfo;
}
export interface PongEvt { type: 'pong'; ref?: string }
/** The answer to `locate`: `seq` is absent when no message has that id (for a time, 0: none before it). */
export interface LocatedEvt { type: 'located'; room: string; seq?: number; ref?: string }
export interface ErrorEvt { type: 'error'; code: ErrorCode; message: string; ref?: string }
export interface ByeEvt { type: 'bye'; reason: string }
/** The session's account after register, identify, password, drop or ghost: `account` absent means a guest. */
export interface AccountEvt { type: 'account'; account?: string; ref?: string }
/** A server ban: `expires` (ms since the epoch) is absent for one that lasts until lifted. */
export interface BanInfo { mask: string; by: string; reason: string; created: number; expires?: number }
export interface BansEvt { type: 'bans'; room?: string; bans: BanInfo[]; ref?: string }
/** A moderation action in a room, shown to its members: `detail` says what changed (the target, the new settings). */
export interface ModerationEvt { type: 'moderation'; room: string; by: string; action: string; detail: string; reason?: string; ts: number }
/** A room's settings; a field is absent while that setting is off. */
export interface RoomSettingsInfo {
  inviteOnly?: true;
  /** A password to join: shown to the room's members (and operators) only. */
  key?: string;
  /** Only operators and voiced users speak. */
  moderated?: true;
  /** Not listed in `rooms`, and looks empty to outsiders. */
  secret?: true;
  /** Only operators set the topic. */
  topicOps?: true;
  /** The most members it takes. */
  limit?: number;
}
/**
 * `nick`'s role in `room` changed from `was` to `role` (its account's role: an operator gave or took it,
 * or the account made the room and owns it, with no `by`). To the room's members.
 */
export interface RoleEvt { type: 'role'; room: string; nick: string; role: RoomRole; was: RoomRole; by?: string }
/** `by` changed the room's settings: `settings` is all of them now, `changed` names those that changed. To the room's members. */
export interface SettingsEvt { type: 'settings'; room: string; settings: RoomSettingsInfo; changed: (keyof RoomSettingsInfo)[]; by?: string }
/** `by` invites you into `room` (invite-only): join it as usual. */
export interface InvitedEvt { type: 'invited'; room: string; by: string }
/** A line from the server for this user (what a command did, say). */
export interface NoticeEvt { type: 'notice'; text: string; ref?: string }
/** `nick` is away with `reason`, or back (no `reason`): to the user's terminals and to those sharing a room with it. */
export interface AwayEvt { type: 'away'; nick: string; reason?: string; ref?: string }
/**
 * `nick` logged in to `account`, or out (no `account`): to those sharing a room with it (its own terminals
 * get `account`), except in rooms above the announce limit.
 */
export interface LoginEvt { type: 'login'; nick: string; account?: string }

/**
 * The account's read marker of `room`: the seq of the newest message read there. In answer to `read`
 * (with `ref`), to the account's other terminals when it moves, and at login, one per stored marker.
 */
export interface ReadEvt { type: 'read'; room: string; seq: number; ref?: string }
/** The answer to `whois`: the nick as its holder spells it, its account when logged in, its away text. */
export interface WhoisEvt { type: 'whois'; nick: string; account?: string; away?: string; ref?: string }
/**
 * The answer to `stats`: `users` and `rooms` (with members) on every node, `servers` the nodes; `localUsers`
 * (and the most there were since it started, `maxLocalUsers`) and `operators` (server operators online) on this one.
 */
export interface StatsEvt {
  type: 'stats'; users: number; rooms: number; servers: number; localUsers: number; maxLocalUsers: number; operators: number; ref?: string;
}

export type ServerMessage =
  | WelcomeEvt | JoinedEvt | LeftEvt | MessageEvt | AckEvt | DmEvt | NickEvt | TopicEvt
  | HistoryEvt | SearchEvt | RoomsEvt | WhoEvt | PongEvt | LocatedEvt | ErrorEvt | ByeEvt | AccountEvt | NoticeEvt | BansEvt
  | ModerationEvt | RoleEvt | SettingsEvt | InvitedEvt | AwayEvt | LoginEvt | WhoisEvt | StatsEvt | ReadEvt;

export type ServerMessageType = ServerMessage['type'];
