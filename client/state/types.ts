/**
 * The client's state: everything the UI draws, and nothing about sockets or terminals.
 * Line variants are declared separately, then unioned, so narrowing on `kind` stays exact.
 */
import type { ClientMessage, ServerMessage } from '../../shared/index.js';
import type { Remembered } from '../persist/memory.js';

export type ConnectionState = 'connecting' | 'registering' | 'online' | 'reconnecting' | 'closed';

export interface ConnectionInfo {
  state: ConnectionState;
  /** Why the last connection ended, when it did. */
  reason?: string;
  /** When reconnecting: how long until the next attempt. */
  retryInMs?: number;
  /** When reconnecting: the time (ms) of the next attempt, for a countdown. */
  retryAt?: number;
}

/** Position of a line in its view: room messages sort by seq, other lines sit after the seq they followed. */
interface Ordered {
  order: number;
  sub: number;
}

export interface ChatLine extends Ordered {
  kind: 'chat';
  id: string;
  seq?: number;
  from: string;
  text: string;
  ts: number;
  action?: boolean;
  self: boolean;
  mention: boolean;
}

/** join/part/nick/topic: shown dimmed. */
export interface EventLine extends Ordered { kind: 'event'; ts: number; text: string }
/** Help, command results, connection notices. */
export interface InfoLine extends Ordered { kind: 'info'; ts: number; text: string }
/** Errors from the server or from a mistyped command. */
export interface ErrorLine extends Ordered { kind: 'error'; ts: number; text: string }

/** A message a search found: of any room and any day, shown where the search was asked. */
export interface FoundLine extends Ordered { kind: 'found'; ts: number; room: string; from: string; text: string; action?: boolean }

export type Line = ChatLine | EventLine | InfoLine | ErrorLine | FoundLine;

export type PendingStatus = 'sending' | 'queued' | 'failed';

/** A message the user sent that the server has not confirmed yet (or refused). */
export interface PendingLine {
  ref: string;
  text: string;
  action?: boolean;
  ts: number;
  status: PendingStatus;
  reason?: string;
}

export type ViewKind = 'server' | 'room' | 'dm';

export interface View {
  /** caseFold(room) for rooms, '@' + caseFold(nick) for DMs, '*' for the server view. */
  id: string;
  kind: ViewKind;
  /** As the server spells it: '#Lobby', 'alice'. */
  title: string;
  topic: string;
  members: string[];
  /** Members the server's last `who` counted but did not list (the join preview of a large room). */
  unlistedMembers: number;
  lines: Line[];
  pending: PendingLine[];
  unread: number;
  mentioned: boolean;
  /** Rows scrolled up from the bottom; 0 follows new lines. */
  scroll: number;
  /** Messages from others that arrived below while the user was scrolled up here. */
  newBelow: number;
  /** The server has messages older than the oldest loaded one. */
  hasOlder: boolean;
  /** A history page arrived, so an empty room is known to be empty (not just not loaded yet). */
  synced: boolean;
  loadingOlder: boolean;
  minSeq: number;
  maxSeq: number;
  /** Counter for `sub` of non-message lines and `order` in DM views. */
  tick: number;
  /** The newest line when the user last left this view: lines after it are new to them. */
  readUpTo?: { order: number; sub: number };
  /** Rooms: the newest seq the user has seen here (kept between runs). */
  readSeq?: number;
}

/** A long message waiting for the user's y or n before it is sent. */
export interface PendingConfirm {
  /** The line as typed, given back to the input on "n". */
  text: string;
  /** Where it goes. */
  viewId: string;
  /** The messages it becomes (more than one when it is over the protocol's length limit). */
  parts: string[];
  question: string;
}

export interface AppState {
  me: string;
  server: string;
  conn: ConnectionInfo;
  /** Has been online at least once: a failure after that is a lost connection, before it a wrong address. */
  everOnline: boolean;
  /** Set from the first failure until online again: one line per outage, and how long it lasted. */
  outage?: { since: number };
  rttMs?: number;
  /** How long the outstanding ping has gone unanswered, once that is longer than usual. */
  lagMs?: number;
  views: View[];
  current: string;
  /** Set while the server refuses our nick: the input line asks for another. */
  nickPrompt?: string;
  nextRef: number;
  /** Incremented when the terminal bell should ring (a mention or a DM in another view). */
  bell: number;
  /** Rooms the user asked to join: switch to them when the server confirms. */
  joining: string[];
  /** Rooms whose `who` the user asked for, so the answer is printed. */
  whoWanted: string[];
  roomsWanted: boolean;
  /** Rooms whose history the user asked for with /history, so the answer is reported. */
  historyWanted: string[];
  /** The last search asked for: its answer is shown in `viewId`, and `/search` alone asks for older matches below `next`. */
  search?: { ref: string; viewId: string; room: string; query: string; next?: number };
  /** Room names seen in `rooms`, for tab completion. */
  knownRooms: string[];
  /** A welcome was received (the first one greets; a reconnect's does not). */
  everWelcomed?: boolean;
  /** The message of the day and a first-run hint, for the room the user lands in. */
  greeting?: string[];
  /** Set while a long message waits for y/n. */
  confirm?: PendingConfirm;
  /** Words from the config that mark a line like a mention of your nick. */
  highlights: string[];
  /** Read positions remembered from the last run (or the account's, from the server), for rooms whose history has not come yet. */
  pendingRead: Record<string, number>;
  /** Who is away, by folded nick (ours included): the reason, or '' when a member list said so without one. */
  away: Record<string, string>;
  /** The account this session is logged in to: read positions are then shared with its other terminals. */
  account?: string;
  /** View ids of the rooms this session is in: joined since the connection came up (a reconnect joins them again). */
  inRooms: string[];
}

/** Something that happened: a server message, a network report, or a user intent. */
export type Action =
  | { type: 'server'; msg: ServerMessage; now: number }
  | { type: 'connection'; conn: ConnectionInfo; now: number }
  | { type: 'rtt'; ms: number }
  | { type: 'lag'; ms: number }
  | { type: 'sendState'; ref: string; status: PendingStatus; reason?: string }
  | { type: 'nickRejected'; nick: string; reason: string; now: number }
  | { type: 'historyCut'; room: string; below: number }
  | { type: 'input'; text: string; now: number }
  /** At start: the rooms, DMs and read positions remembered from the last run. */
  | { type: 'restore'; memory: Remembered }
  | { type: 'confirm'; yes: boolean; now: number }
  /** A note from the UI itself (a paste that was cut), shown in the current view. */
  | { type: 'note'; text: string; kind: 'info' | 'error'; now: number }
  | { type: 'selectView'; index: number }
  | { type: 'cycleView'; delta: number }
  | { type: 'scroll'; delta: number; maxScroll: number };

/** What the reducer asks the outside world to do. */
export type Effect =
  | { kind: 'send'; message: ClientMessage }
  | { kind: 'register'; nick: string }
  | { kind: 'quit'; reason?: string };

export interface Step {
  state: AppState;
  effects: Effect[];
}
