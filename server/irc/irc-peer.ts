/**
 * One IRC connection: lines in, IRC commands turned into our protocol's requests (irc-commands.ts),
 * and every server message rendered in IRC's words (irc-render.ts). Knows nothing of rooms.
 *
 * Replies come strictly in the order of requests: each request holds the connection's next line until
 * its answer has gone out (a PING after a PRIVMSG is answered after the message's echo), which the
 * input gate already does for any promise a line returns.
 */
import type { Socket } from 'node:net';
import type { ClientMessage, ServerMessage } from '../../shared/protocol.js';
import { LineSplitter } from '../../shared/lines.js';
import { validateClientMessage } from '../../shared/parse.js';
import { ErrorCode } from '../../shared/errors.js';
import { caseFold } from '../../shared/validate.js';
import type { Outgoing } from '../outgoing.js';
import { OutgoingBatch } from '../outgoing.js';
import type { Session } from '../session.js';
import { SocketPeer, type Input, type PeerHost } from '../transports/socket-peer.js';
import { IRC_COMMANDS, type IrcConnection } from './irc-commands.js';
import { errorReplies, historyLines, inBatch, render, sourceOf, withTag } from './irc-render.js';
import { IrcState, type Awaiting } from './irc-state.js';
import { isupportReplies } from './isupport.js';
import { CLIENT_LINE_MAX_BYTES, formatMessage, parseLine, type IrcMessage } from './message.js';
import { numeric, parseErrorReply } from './numerics.js';

/** What every IRC connection of this server shares. */
export interface IrcSettings {
  /** Our name as an IRC source (no spaces). */
  server: string;
  network: string;
  version: string;
  created: string;
  motd: string;
  /** The ISUPPORT tokens, checked at start-up. */
  isupport: readonly string[];
}

/** A request whose answer never came (the hub answers INTERNAL first, at 10 s): the connection goes on. */
const REQUEST_TIMEOUT_MS = 15_000;

const OVERSIZE: Input = { refused: ErrorCode.TOO_LARGE, message: 'line too long' };
const NONE: readonly IrcMessage[] = Object.freeze([]);

/** A message sent on without waiting (see IrcPeer.post); `lines` is its answer once it came. */
interface Posted {
  readonly how: Awaiting;
  lines: IrcMessage[] | null;
}

/**
 * The keys under which a join's IRC form is shared, by what changes it: extended-join (x), the joiner's
 * AWAY line for away-notify (a), its account tag (c). Constant strings: no key is built per delivery.
 */
const JOIN_VARIANTS = ['', 'c', 'a', 'ac', 'x', 'xc', 'xa', 'xac'] as const;

const NO_POSTS: Posted[] = [];
const NO_WAITERS: (() => void)[] = [];

/**
 * Whether a raw line is a plain PRIVMSG or NOTICE, which may go on without waiting. A line with tags
 * (a label, say) waits like any other.
 */
function isMessageLine(line: Buffer): boolean {
  let i = 0;
  if (line[0] === 0x3a) {
    while (i < line.length && line[i] !== 0x20) i++;
    while (i < line.length && line[i] === 0x20) i++;
  }
  const verb = line.subarray(i, i + 8).toString('latin1').toUpperCase();
  return verb.startsWith('PRIVMSG ') || verb.startsWith('NOTICE ');
}

export class IrcPeer extends SocketPeer implements IrcConnection {
  readonly state = new IrcState();
  private readonly splitter: LineSplitter;
  private refs = 0;
  private finishRequest: ((answer: ServerMessage | null) => void) | null = null;
  private quitsClearing = false;
  /** While a line with a label is handled (labeled-response): its label, and the lines that answer it. */
  private label: string | null = null;
  private labelled: IrcMessage[] | null = null;
  private batches = 0;
  /**
   * Messages sent on without waiting for their answers, oldest first: each holds its answer's lines
   * until those of every earlier one have gone out. Any other line waits until they are all answered.
   */
  // Shared empty lists until used: most connections never pipeline, and each list costs 32 bytes.
  private posted: Posted[] = NO_POSTS;
  private drainedWaiters: (() => void)[] = NO_WAITERS;
  private postTimer: NodeJS.Timeout | null = null;

  constructor(socket: Socket, remote: string, host: PeerHost, private readonly settings: IrcSettings) {
    super('irc', remote, socket, host);
    this.splitter = new LineSplitter(CLIENT_LINE_MAX_BYTES, (line) => line.length > 0 && this.input(line), () => this.input(OVERSIZE));
  }

  get server(): string {
    return this.settings.server;
  }

  push(chunk: Buffer): void {
    this.charge(chunk.length);
    this.splitter.push(chunk);
  }

  protected override refOf(): undefined {
    return undefined;
  }

  override handle(item: Input): void | Promise<void> {
    const session = this.session;
    if (!session || this.closed) return;
    if (Buffer.isBuffer(item)) return this.handleInput(session, item);
    this.reply([numeric(this.server, this.state.nick, 'ERR_INPUTTOOLONG')]);
    this.host.hub.strike(session);
  }

  protected handleInput(session: Session, line: Buffer): void | Promise<void> {
    // A line that is not a message waits for the answers to the messages before it: replies keep the
    // order of requests. A message can go on at once (see post).
    if (this.posted.length > 0 && !isMessageLine(line)) return this.drained().then(() => this.handleLine(session, line));
    return this.handleLine(session, line);
  }

  private handleLine(_session: Session, line: Buffer): void | Promise<void> {
    const parsed = parseLine(line);
    if (!parsed.ok) {
      const reply = parseErrorReply(this.server, this.state.nick, parsed.error);
      return reply ? this.reply([reply]) : undefined;
    }
    const m = parsed.value;
    const command = IRC_COMMANDS[m.verb];
    if (!command) return this.reply([numeric(this.server, this.state.nick, 'ERR_UNKNOWNCOMMAND', m.verb)]);
    if (!this.state.welcomed && !command.preRegistration) return this.reply([numeric(this.server, null, 'ERR_NOTREGISTERED')]);
    const label = this.state.has('labeled-response') ? m.tags.get('label') : undefined;
    if (label) this.label = label;
    const result = m.params.length < (command.params ?? 0)
      ? this.reply([numeric(this.server, this.state.nick, 'ERR_NEEDMOREPARAMS', m.verb)])
      : command.handle(this, m);
    if (result instanceof Promise) return result.then(() => (label ? this.sendLabelled() : undefined));
    if (label) this.sendLabelled();
  }

  /** The answer to a labelled line: ACK for none, the label on a single line, else a labeled-response batch. */
  private sendLabelled(): void {
    const label = this.label!;
    const lines = this.labelled ?? [];
    this.label = null;
    this.labelled = null;
    if (lines.length === 0) return this.reply([{ tags: { label }, source: this.server, verb: 'ACK', params: [] }]);
    if (lines.length === 1) return this.reply([withTag(lines[0]!, 'label', label)]);
    const batch = inBatch(this, this.batchId(), 'labeled-response', [], lines);
    this.reply(batch.length === lines.length ? lines : [withTag(batch[0]!, 'label', label), ...batch.slice(1)]);
  }

  batchId(): string {
    return `b${++this.batches}`;
  }

  rooms(): readonly string[] {
    return this.session?.rooms.map((r) => r.name) ?? [];
  }

  reply(lines: readonly IrcMessage[]): void {
    if (this.label !== null) (this.labelled ??= []).push(...lines);
    else this.write(this.format(lines));
  }

  request(message: ClientMessage, how: Omit<Awaiting, 'ref'>): Promise<ServerMessage | null> {
    const prepared = this.prepare(message, how);
    if (!prepared) return Promise.resolve(null);
    if (prepared.refused) {
      this.reply(prepared.refused);
      return Promise.resolve(null);
    }
    const { session, checked } = prepared;
    return new Promise<ServerMessage | null>((resolve) => {
      const timer = setTimeout(() => this.complete(null), REQUEST_TIMEOUT_MS);
      this.finishRequest = (answer) => {
        clearTimeout(timer);
        resolve(answer);
      };
      this.state.awaiting = prepared.how;
      void this.host.dispatcher.receive(session, checked);
    });
  }

  /**
   * Sends a message (say, dm) on without holding the next line: its answer joins the queue of posted
   * answers, which go out in order. A labelled line is a request like any other.
   */
  post(message: ClientMessage, how: Omit<Awaiting, 'ref'>): void | Promise<unknown> {
    if (this.label !== null) return this.request(message, how);
    const prepared = this.prepare(message, how);
    if (!prepared) return;
    const entry: Posted = { how: prepared.how, lines: prepared.refused ?? null };
    if (this.posted === NO_POSTS) this.posted = [];
    this.posted.push(entry);
    // A refusal is answered as soon as every earlier message is: at once when there is none.
    if (prepared.refused) return this.posted.length === 1 ? this.reply(this.releasePosted()) : undefined;
    if (this.posted.length === 1) this.armPostTimer();
    void this.host.dispatcher.receive(prepared.session, prepared.checked);
  }

  /**
   * Gives a request its ref and checks it by the rules a JSON client's message meets (a nick or room
   * our rules refuse is answered here, in IRC's words); null when the connection is gone.
   */
  private prepare(message: ClientMessage, how: Omit<Awaiting, 'ref'>):
    { how: Awaiting; session: Session; checked: ClientMessage; refused?: undefined } | { how: Awaiting; refused: IrcMessage[] } | null {
    const session = this.session;
    if (!session || this.closed) return null;
    const withRef: Awaiting = { ...how, ref: `i${++this.refs}` };
    const checked = validateClientMessage({ ...message, ref: withRef.ref });
    if (!checked.ok) return { how: withRef, refused: errorReplies(this, withRef, checked.error.code, checked.error.message) };
    return { how: withRef, session, checked: checked.value };
  }

  /** The answer to a posted message, if `m` is one: its lines are held until it is first in line. */
  private answerPosted(m: ServerMessage): boolean {
    if (this.posted.length === 0 || !('ref' in m) || m.ref === undefined) return false;
    const entry = this.posted.find((p) => p.how.ref === m.ref);
    if (!entry || entry.lines !== null) return false;
    const { how } = entry;
    if (m.type !== 'error' && !how.done?.(m)) return false;
    entry.lines = m.type === 'error' ? errorReplies(this, how, m.code, m.message) : render(m, this, how);
    return true;
  }

  /** The answered messages at the head of the line, their lines in order; wakes whoever waits for all. */
  private releasePosted(): IrcMessage[] {
    const out: IrcMessage[] = [];
    while (this.posted.length > 0 && this.posted[0]!.lines !== null) out.push(...this.posted.shift()!.lines!);
    if (this.posted.length > 0) this.armPostTimer();
    else {
      if (this.postTimer) clearTimeout(this.postTimer);
      this.postTimer = null;
      const waiters = this.drainedWaiters;
      this.drainedWaiters = NO_WAITERS;
      for (const w of waiters) w();
    }
    return out;
  }

  /** An answer that never comes (the hub answers INTERNAL first) must not stop the connection for good. */
  private armPostTimer(): void {
    if (this.postTimer) clearTimeout(this.postTimer);
    this.postTimer = setTimeout(() => {
      const head = this.posted[0];
      if (head && head.lines === null) head.lines = [];
      this.write(this.format(this.releasePosted()));
    }, REQUEST_TIMEOUT_MS);
    this.postTimer.unref();
  }

  private drained(): Promise<void> {
    if (this.drainedWaiters === NO_WAITERS) this.drainedWaiters = [];
    return new Promise((resolve) => this.drainedWaiters.push(resolve));
  }

  /** The request is answered (`answer`: the message that did; null when none came). */
  private complete(answer: ServerMessage | null): void {
    const finish = this.finishRequest;
    this.state.awaiting = null;
    this.finishRequest = null;
    finish?.(answer);
  }

  register(): void | Promise<unknown> {
    const s = this.state;
    if (s.welcomed || s.negotiating || s.user === null) return;
    if (s.helloDone) return this.welcomeBurst();
    if (s.wantedNick === null || s.awaiting) return;
    const hello: ClientMessage = { type: 'hello', nick: s.wantedNick, lobby: false, client: 'irc' };
    if (s.pass !== undefined) hello.password = s.pass;
    return this.request(hello, { verb: 'NICK', target: s.wantedNick, quiet: false, done: (a) => a.type === 'welcome' });
  }

  welcomeBurst(): void {
    this.reply(this.burst());
  }

  /** 001 to 005 and the MOTD: registration is complete. */
  private burst(): IrcMessage[] {
    const { server, network, version, created, isupport } = this.settings;
    const nick = this.state.nick!;
    this.state.welcomed = true;
    const n = (code: string, ...params: string[]): IrcMessage => ({ source: server, verb: code, params: [nick, ...params] });
    return [
      n('001', `Welcome to the ${network} IRC Network ${sourceOf(nick)}`),
      n('002', `Your host is ${server}, running version ${version}`),
      n('003', `This server was created ${created}`),
      n('004', server, version, 'i', 'biklmost', 'bklov'),
      ...isupportReplies(server, nick, isupport),
      ...this.motd(),
    ];
  }

  motd(): IrcMessage[] {
    const { server, motd } = this.settings;
    const nick = this.state.nick;
    if (!motd) return [numeric(server, nick, 'ERR_NOMOTD')];
    return [
      numeric(server, nick, 'RPL_MOTDSTART', `- ${server} Message of the day - `),
      ...motd.split('\n').map((line) => numeric(server, nick, 'RPL_MOTD', `- ${line}`)),
      numeric(server, nick, 'RPL_ENDOFMOTD'),
    ];
  }

  protected encode(out: Outgoing): Buffer | string {
    if (!(out instanceof OutgoingBatch)) return this.encodePart(out) ?? '';
    const chunks: (Buffer | string)[] = [];
    for (const part of out.parts) {
      const chunk = this.encodePart(part);
      if (chunk !== null) chunks.push(chunk);
    }
    if (chunks.length <= 1) return chunks[0] ?? '';
    return Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
  }

  /** One message's bytes for this connection, or null when it sends nothing now. */
  private encodePart(part: Outgoing): Buffer | string | null {
    const m = part.message;
    if (this.label !== null && this.answersRequest(m)) {
      // Held for the labelled answer (sent when the line's handling ends).
      (this.labelled ??= []).push(...render(m, this), ...this.follow(m));
      return null;
    }
    if (this.answerPosted(m)) {
      const released = this.releasePosted();
      return released.length > 0 ? this.format(released) : null;
    }
    const shared = this.sharedVariant(m);
    // The common case, another member's message: the bytes every member with these capabilities shares.
    const main = shared === null ? this.format(render(m, this)) : part.irc(shared, this);
    const extra = this.follow(m);
    return extra.length === 0 ? main : Buffer.concat([typeof main === 'string' ? Buffer.from(main) : main, Buffer.from(this.format(extra))]);
  }

  /** `m`'s lines as this connection sees them, formatted (Outgoing.irc shares them by variant). */
  ircForm(m: ServerMessage): string {
    return this.format(render(m, this));
  }

  /** Whether `m` is part of the answer to the request going on (for labeled-response), not news from others. */
  private answersRequest(m: ServerMessage): boolean {
    const me = this.state.nick;
    const mine = (nick: string) => me !== null && caseFold(nick) === caseFold(me);
    switch (m.type) {
      case 'error': return m.ref !== undefined && m.ref === this.state.awaiting?.ref;
      case 'who': case 'rooms': case 'pong': case 'history': case 'welcome': case 'account': case 'bye': case 'whois': case 'stats': return true;
      case 'away': return mine(m.nick);
      case 'joined': case 'left': return mine(m.nick);
      case 'nick': return mine(m.old);
      case 'topic': return mine(m.by);
      case 'message': case 'dm': return mine(m.from);
      default: return false;
    }
  }

  /**
   * The key under which recipients share this message's IRC form, or null when it is this connection's
   * own (its own message or DM, anything that answers a request, quits, which are counted per connection).
   */
  private sharedVariant(m: ServerMessage): string | null {
    const s = this.state;
    if (m.type === 'message' && (s.nick === null || m.from !== s.nick)) return m.account === undefined ? s.variant : s.accountVariant;
    if (m.type === 'joined') {
      // Others' form carries its AWAY line (away-notify); ours does not.
      const away = m.away !== undefined;
      if (away && s.nick !== null && caseFold(m.nick) === caseFold(s.nick)) return null;
      return JOIN_VARIANTS[(s.has('extended-join') ? 4 : 0) | (away && s.has('away-notify') ? 2 : 0) | (m.account !== undefined && s.has('account-tag') ? 1 : 0)]!;
    }
    if (m.type === 'login') return s.has('account-notify') ? 'n' : '';
    return m.type === 'topic' || m.type === 'nick' ? '' : null;
  }

  /** What a message changes here (our nick, registration, the request it answers), and any lines that follows. */
  private follow(m: ServerMessage): readonly IrcMessage[] {
    const s = this.state;
    let extra: IrcMessage[] | null = null;
    if (m.type === 'left' && m.quit && !this.quitsClearing) {
      this.quitsClearing = true;
      setImmediate(() => {
        this.quitsClearing = false;
        s.quitNicks.clear();
      });
    }
    if (m.type === 'nick' && s.nick !== null && m.old === s.nick) s.nick = m.new;
    if (m.type === 'topic') s.topics.set(caseFold(m.room), m.topic);
    // A JOIN's history is replayed after its NAMES to a client that can place it in time.
    if (m.type === 'history' && s.awaiting?.verb === 'JOIN' && s.has('server-time') && !s.has('draft/chathistory')
      && caseFold(m.room) === caseFold(s.awaiting.target)) {
      s.joinHistory = m.messages;
    }
    if (m.type === 'who' && s.joinHistory && s.awaiting?.verb === 'JOIN') {
      const history = historyLines(this, m.room, s.joinHistory);
      s.joinHistory = null;
      extra = inBatch(this, this.batchId(), 'chathistory', [m.room], history);
    }
    if (m.type === 'welcome') {
      s.helloDone = true;
      // Until 001 the client knows itself by the nick it asked for: 900 and 903 are addressed to that.
      const known = s.wantedNick;
      s.nick = m.nick;
      extra = [];
      if (m.account) extra.push(numeric(this.server, known, 'RPL_LOGGEDIN', sourceOf(m.nick), m.account, `You are now logged in as ${m.account}`));
      if (s.awaiting?.verb === 'AUTHENTICATE') extra.push(numeric(this.server, known, 'RPL_SASLSUCCESS'));
      else if (!s.welcomed) {
        // Registration is done: the burst follows the welcome's lines.
        this.complete(m);
        return [...extra, ...this.burst()];
      }
    }
    const awaiting = s.awaiting;
    const answered = 'ref' in m && m.ref === awaiting?.ref && (m.type === 'error' || !awaiting?.done);
    if (awaiting && (answered || awaiting.done?.(m) || m.type === 'bye')) this.complete(m);
    return extra ?? NONE;
  }

  private format(lines: readonly IrcMessage[]): string {
    let text = '';
    for (const line of lines) {
      const formatted = formatMessage(line);
      if (formatted.ok) text += `${formatted.value}\r\n`;
    }
    return text;
  }
}
