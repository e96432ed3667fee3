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

export class IrcPeer extends SocketPeer implements IrcConnection {
  readonly state = new IrcState();
  private readonly splitter: LineSplitter;
  private refs = 0;
  private finishRequest: (() => void) | null = null;
  private quitsClearing = false;
  /** While a line with a label is handled (labeled-response): its label, and the lines that answer it. */
  private label: string | null = null;
  private labelled: IrcMessage[] = [];
  private batches = 0;

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

  protected handleInput(_session: Session, line: Buffer): void | Promise<void> {
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
    if (!label) return result;
    if (result instanceof Promise) return result.finally(() => this.sendLabelled());
    this.sendLabelled();
  }

  /** The answer to a labelled line: ACK for none, the label on a single line, else a labeled-response batch. */
  private sendLabelled(): void {
    const label = this.label!;
    const lines = this.labelled;
    this.label = null;
    this.labelled = [];
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
    if (this.label !== null) this.labelled.push(...lines);
    else this.write(this.format(lines));
  }

  request(message: ClientMessage, how: Omit<Awaiting, 'ref'>): Promise<void> {
    const session = this.session;
    if (!session || this.closed) return Promise.resolve();
    const ref = `i${++this.refs}`;
    // Checked by the same rules as a JSON client's message: a nick or room our rules refuse is answered here.
    const checked = validateClientMessage({ ...message, ref });
    if (!checked.ok) {
      this.reply(errorReplies(this, { ...how, ref }, checked.error.code, checked.error.message));
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.complete(), REQUEST_TIMEOUT_MS);
      this.finishRequest = () => {
        clearTimeout(timer);
        resolve();
      };
      this.state.awaiting = { ...how, ref };
      void this.host.dispatcher.receive(session, checked.value);
    });
  }

  private complete(): void {
    const finish = this.finishRequest;
    this.state.awaiting = null;
    this.finishRequest = null;
    finish?.();
  }

  register(): void | Promise<void> {
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

  protected encode(out: Outgoing): string {
    const parts = out instanceof OutgoingBatch ? out.parts : [out];
    let text = '';
    for (const part of parts) {
      const m = part.message;
      if (this.label !== null && this.answersRequest(m)) {
        // Held for the labelled answer (sent when the line's handling ends).
        this.labelled.push(...render(m, this), ...this.follow(m));
        continue;
      }
      const shared = this.sharedVariant(m);
      text += shared === null
        ? this.format(render(m, this))
        : part.irc(shared, () => this.format(render(m, this)));
      text += this.format(this.follow(m));
    }
    return text;
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
    if (m.type === 'message' && (this.state.nick === null || m.from !== this.state.nick)) {
      return `${this.state.has('server-time') ? 't' : ''}${this.state.has('message-tags') ? 'm' : ''}`;
    }
    if (m.type === 'joined' && m.away !== undefined) {
      // Others' form carries its AWAY line (away-notify); ours does not.
      if (this.state.nick !== null && caseFold(m.nick) === caseFold(this.state.nick)) return null;
      return this.state.has('away-notify') ? 'a' : '';
    }
    return m.type === 'joined' || m.type === 'topic' || m.type === 'nick' ? '' : null;
  }

  /** What a message changes here (our nick, registration, the request it answers), and any lines that follows. */
  private follow(m: ServerMessage): IrcMessage[] {
    const s = this.state;
    const extra: IrcMessage[] = [];
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
    if (m.type === 'history' && s.awaiting?.verb === 'JOIN' && s.has('server-time') && caseFold(m.room) === caseFold(s.awaiting.target)) {
      s.joinHistory = m.messages;
    }
    if (m.type === 'who' && s.joinHistory && s.awaiting?.verb === 'JOIN') {
      const history = historyLines(this, m.room, s.joinHistory);
      s.joinHistory = null;
      extra.push(...inBatch(this, this.batchId(), 'chathistory', [m.room], history));
    }
    if (m.type === 'welcome') {
      s.helloDone = true;
      s.nick = m.nick;
      if (m.account) extra.push(numeric(this.server, s.nick, 'RPL_LOGGEDIN', sourceOf(s.nick), m.account, `You are now logged in as ${m.account}`));
      if (s.awaiting?.verb === 'AUTHENTICATE') extra.push(numeric(this.server, s.nick, 'RPL_SASLSUCCESS'));
      else if (!s.welcomed) {
        // Registration is done: the burst follows the welcome's lines.
        this.complete();
        return [...extra, ...this.burst()];
      }
    }
    const awaiting = s.awaiting;
    const answered = 'ref' in m && m.ref === awaiting?.ref && (m.type === 'error' || !awaiting?.done);
    if (awaiting && (answered || awaiting.done?.(m) || m.type === 'bye')) this.complete();
    return extra;
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
