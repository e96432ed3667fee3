/**
 * One IRC connection's state, apart from the user it speaks for (ergo keeps session state apart from
 * server state the same way): what registration has gathered, the capabilities it negotiated, and the
 * one request it is waiting on, whose answers are rendered in that request's terms (a `who` answers
 * JOIN with NAMES, WHO with WHO replies).
 */
import type { ServerMessage } from '../../shared/protocol.js';

/** Capabilities we offer, with their CAP LS 302 values. */
export const CAPABILITIES: ReadonlyMap<string, string> = new Map([
  ['server-time', ''],
  ['message-tags', ''],
  ['echo-message', ''],
  ['multi-prefix', ''],
  ['cap-notify', ''],
  ['sasl', 'PLAIN'],
  ['batch', ''],
  ['userhost-in-names', ''],
  ['labeled-response', ''],
  ['draft/chathistory', ''],
  ['away-notify', ''],
  ['account-notify', ''],
  ['account-tag', ''],
  ['extended-join', ''],
]);

/** A request sent on to the hub for an IRC command: its answers end when `done` says so (or an error with its ref). */
export interface Awaiting {
  readonly ref: string;
  /** The IRC command that made it, and its target (a channel or nick), for the numerics of its answers. */
  readonly verb: string;
  readonly target: string;
  /** The room, when the target is a nick in one (KICK, INVITE). */
  readonly room?: string;
  /** A NOTICE is never answered with an error (RFC 2812 3.3.2). */
  readonly quiet: boolean;
  /** The answer that completes the request; without one, any answer carrying its ref. */
  readonly done?: (m: ServerMessage) => boolean;
  /** The PING token, for the PONG. */
  readonly token?: string;
}

export class IrcState {
  /** The nick our server gave us (from welcome and our own nick changes); null before. */
  nick: string | null = null;
  /** The nick NICK asked for before registration. */
  wantedNick: string | null = null;
  /** USER's username (shown as ~user), once given. */
  user: string | null = null;
  /** PASS: the server's password, or the account's. */
  pass: string | undefined = undefined;
  /** Between CAP LS/REQ and CAP END, registration waits. */
  negotiating = false;
  /** The CAP LS version the client spoke (302 gets values and multi-line LS). */
  capVersion = 0;
  // The collections are made when first needed: an idle connection would carry ~540 bytes of empty ones.
  private capSet: Set<string> | null = null;
  private quits: Set<string> | null = null;
  private topicMap: Map<string, string> | null = null;
  /** Which rendering of others' messages this connection shares (by the capabilities that change it). */
  variant = '';
  /** The same, for a message whose sender is logged in (account-tag adds its account). */
  accountVariant = '';
  /** A SASL PLAIN exchange going on: the base64 chunks so far. */
  sasl: string[] | null = null;
  /** Logged in through SASL: the hello is done, only the welcome burst waits for registration. */
  saslDone = false;
  /** The 001 burst went out. */
  welcomed = false;
  /** The hello was sent and answered with welcome (our session is registered). */
  helloDone = false;
  awaiting: Awaiting | null = null;
  /** What QUIT said, for its ERROR line. */
  quitReason: string | null = null;
  /** Nicks whose QUIT went out this turn: a user leaving several shared rooms quits once. */
  get quitNicks(): Set<string> {
    return (this.quits ??= new Set());
  }
  /** The history a JOIN brought, replayed after its NAMES (for clients with server-time). */
  joinHistory: import('../../shared/protocol.js').ChatMessage[] | null = null;
  /** The topic of each room we know of (from joins and topic changes), by room name folded. */
  get topics(): Map<string, string> {
    return (this.topicMap ??= new Map());
  }

  get caps(): ReadonlySet<string> {
    return this.capSet ?? new Set();
  }

  has(cap: string): boolean {
    return this.capSet?.has(cap) ?? false;
  }

  /** Turns a capability on or off. */
  setCap(cap: string, on: boolean): void {
    if (on) (this.capSet ??= new Set()).add(cap);
    else this.capSet?.delete(cap);
    this.variant = `${this.has('server-time') ? 't' : ''}${this.has('message-tags') ? 'm' : ''}`;
    this.accountVariant = this.has('account-tag') ? `${this.variant}a` : this.variant;
  }
}
