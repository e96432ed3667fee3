/**
 * The client's connection to the server: connects, registers, reconnects with backoff, rejoins rooms,
 * fills history gaps, tracks ref -> ack, queues what the user sends while offline, and measures RTT.
 * Emits typed events; knows nothing of terminals or of how the state is kept.
 */
import { caseFold, encode, ErrorCode, LOBBY, parseServerMessage, type ClientMessage, type ServerMessage } from '../../shared/index.js';
import { describeAddress, type ServerAddress } from './address.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { GapFiller } from './gap-fill.js';
import { Liveness } from './liveness.js';
import { CLIENT_PACE, paceFor, replyCost, SendPacer, sendCost, type PaceOptions } from './send-pacer.js';
import { openTransport, type Transport } from './transport.js';

export type ConnectionState = 'connecting' | 'registering' | 'online' | 'reconnecting' | 'closed';

export interface ConnectionStatus {
  state: ConnectionState;
  reason?: string;
  retryInMs?: number;
}

export type SendStatus = 'sending' | 'queued' | 'failed';

export type NetEvent =
  | { type: 'status'; status: ConnectionStatus }
  | { type: 'message'; msg: ServerMessage }
  | { type: 'rtt'; ms: number }
  /** The outstanding ping has gone unanswered this long (more than usual). */
  | { type: 'lag'; ms: number }
  | { type: 'sendState'; ref: string; status: SendStatus; reason?: string }
  | { type: 'nickRejected'; nick: string; reason: string }
  /** The gap after a reconnect was too long to fill: lines of `room` below seq `below` no longer join up. */
  | { type: 'historyCut'; room: string; below: number };

export interface ChatClientOptions {
  address: ServerAddress;
  nick: string;
  clientName?: string;
  backoff?: BackoffOptions;
  pingIntervalMs?: number;
  /** A ping unanswered this long means the connection is dead (weechat #2189). */
  pongTimeoutMs?: number;
  /** Most messages held while offline; more are refused as failed rather than grown without bound. */
  maxQueued?: number;
  /** How fast the client lets itself send (see send-pacer.ts); by default, half what `welcome` says the server allows. */
  pace?: PaceOptions;
  /** A message the server has not answered in this long is marked failed (a late answer still counts). */
  ackTimeoutMs?: number;
  /** Rooms to join once registered the first time (from the config and the last run). */
  autojoin?: string[];
  /** Sent in hello: the account's password for a registered nick, or the server's password. */
  password?: string;
  /** A private CA (PEM) that wss:// and tls:// trust besides Node's own. */
  ca?: string;
}

/** A message on its way through the pacer; `fromUser` ones go back to the offline queue if the connection drops. */
interface Outgoing {
  message: ClientMessage;
  fromUser: boolean;
}

/** A say or dm the server has not answered yet. */
interface Inflight {
  message: ClientMessage;
  timer: NodeJS.Timeout | undefined;
  /** Already shown as failed (refused without a ref, or no answer in time); an answer may still come. */
  givenUp: boolean;
}

interface RoomMark {
  name: string;
  lastSeq: number;
  /** A history page arrived for this room, so lastSeq is where our copy really ends. */
  synced: boolean;
}

/** hello answers that ask for another nick (or a password: set "password" in the config, or CHAT_PASSWORD). */
const NICK_REFUSALS = new Set<string>([
  ErrorCode.NICK_TAKEN, ErrorCode.NICK_INVALID, ErrorCode.NICK_REGISTERED, ErrorCode.LOGIN_FAILED, ErrorCode.PASSWORD_REQUIRED,
]);

/** After a reconnect the old session may still hold our nick until the server notices it is gone. */
const GHOST_NICK_RETRIES = 5;
const QUIT_GRACE_MS = 1000;
/** A peer that accepts the connection but never answers hello is not a chat server we can use. */
const HELLO_TIMEOUT_MS = 10_000;

export class ChatClient {
  readonly server: string;
  private nickname: string;
  private state: ConnectionState = 'closed';
  private transport: Transport | undefined;
  private readonly listeners = new Set<(event: NetEvent) => void>();
  private readonly rooms = new Map<string, RoomMark>();
  private readonly queue: ClientMessage[] = [];
  private readonly inflight = new Map<string, Inflight>();
  private readonly pacer: SendPacer<Outgoing>;
  private readonly gaps = new GapFiller();
  private attempt = 0;
  private ghostRetries = 0;
  private registeredOnce = false;
  private awaitingNick = false;
  private stopping = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private helloTimer: NodeJS.Timeout | undefined;
  private readonly liveness: Liveness;
  private lastCloseReason: string | undefined;
  private readonly opts: Required<Omit<ChatClientOptions, 'address' | 'nick' | 'password' | 'ca'>> & { address: ServerAddress; ca?: string };
  /** What hello sends as password: given at start, or the one the user logged in with since (kept in memory only). */
  private password: string | undefined;
  /** The password of an identify, register, ghost or password change on its way, until `account` answers. */
  private pendingPassword: string | undefined;
  /** No pace was given: the client paces itself under the budget the server announces. */
  private readonly learnsPace: boolean;
  /** Why we are away, as the server last said: a reconnect says it again (the new session starts back). */
  private awayReason: string | undefined;

  constructor(options: ChatClientOptions) {
    this.opts = {
      clientName: 'chat-tui', backoff: DEFAULT_BACKOFF, pingIntervalMs: 5000, pongTimeoutMs: 15_000, maxQueued: 500,
      pace: CLIENT_PACE, ackTimeoutMs: 20_000, autojoin: [],
      ...options,
    };
    this.learnsPace = options.pace === undefined;
    this.pacer = new SendPacer(this.opts.pace, (out) => this.deliver(out));
    this.nickname = options.nick;
    this.password = options.password;
    this.server = describeAddress(options.address);
    this.liveness = new Liveness(
      { intervalMs: this.opts.pingIntervalMs, timeoutMs: this.opts.pongTimeoutMs, lagAfterMs: Math.min(2000, this.opts.pongTimeoutMs / 4) },
      (ref) => this.transmitNow({ type: 'ping', ref }),
      (ms) => this.emit({ type: 'rtt', ms }),
      () => {
        this.lastCloseReason = 'server stopped answering';
        this.transport?.kill();
      },
      (ms) => this.emit({ type: 'lag', ms }),
    );
  }

  get nick(): string {
    return this.nickname;
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  onEvent(listener: (event: NetEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    this.stopping = false;
    this.connect();
  }

  /** Registers with a new nick after the server refused the last one. */
  register(nick: string): void {
    this.nickname = nick;
    this.awaitingNick = false;
    this.ghostRetries = 0;
    if (this.state === 'registering') this.sendHello();
  }

  /** Sends when online, paced; otherwise queues, so nothing the user typed is silently lost. */
  send(message: ClientMessage): void {
    if (message.type === 'identify' || message.type === 'register' || message.type === 'ghost') this.pendingPassword = message.password;
    else if (message.type === 'password') this.pendingPassword = message.new;
    if (this.state === 'online') {
      this.pacer.send({ message, fromUser: true }, costOf(message));
      return;
    }
    if (this.queue.length >= this.opts.maxQueued) {
      if (message.ref) this.emit({ type: 'sendState', ref: message.ref, status: 'failed', reason: 'too many messages waiting for the connection' });
      return;
    }
    this.queue.push(message);
    if (message.ref) this.emit({ type: 'sendState', ref: message.ref, status: 'queued' });
  }

  /**
   * Sends a request of the client's own (not the user's) when online, paced like the rest; false, and
   * nothing kept for later, when offline.
   */
  sendIfOnline(message: ClientMessage): boolean {
    if (this.state !== 'online') return false;
    this.transmit(message);
    return true;
  }

  /** Says goodbye and closes; resolves once the connection is gone. */
  async stop(reason?: string): Promise<void> {
    this.stopping = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.helloTimer);
    this.liveness.stop();
    const transport = this.transport;
    if (!transport) {
      this.setState({ state: 'closed' });
      return;
    }
    if (this.state === 'online') this.transmitNow(reason ? { type: 'quit', reason } : { type: 'quit' });
    await new Promise<void>((resolve) => {
      const done = this.onEvent((e) => {
        if (e.type === 'status' && e.status.state === 'closed') {
          clearTimeout(timer);
          done();
          resolve();
        }
      });
      const timer = setTimeout(() => transport.kill(), QUIT_GRACE_MS);
      transport.close();
    });
  }

  private emit(event: NetEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private setState(status: ConnectionStatus): void {
    this.state = status.state;
    this.emit({ type: 'status', status });
  }

  private connect(): void {
    this.setState({ state: 'connecting' });
    this.transport = openTransport(this.opts.address, {
      onOpen: () => {
        this.setState({ state: 'registering' });
        if (!this.awaitingNick) this.sendHello();
      },
      onText: (text) => this.receive(text),
      onClose: (reason) => this.closed(reason),
    }, { ca: this.opts.ca });
  }

  private sendHello(): void {
    const hello: ClientMessage = { type: 'hello', nick: this.nickname, client: this.opts.clientName };
    if (this.password !== undefined) hello.password = this.password;
    this.transmitNow(hello);
    clearTimeout(this.helloTimer);
    this.helloTimer = setTimeout(() => {
      this.lastCloseReason = 'no answer to hello';
      this.transport?.kill();
    }, HELLO_TIMEOUT_MS);
  }

  private closed(reason: string): void {
    clearTimeout(this.helloTimer);
    this.transport = undefined;
    this.liveness.stop();
    this.gaps.clear();
    // What the pacer still held never left: the user's messages wait for the next connection.
    const unsent = this.pacer.reset().filter((out) => out.fromUser).map((out) => out.message);
    this.queue.unshift(...unsent);
    for (const message of unsent) if (message.ref) this.emit({ type: 'sendState', ref: message.ref, status: 'queued' });
    for (const [ref, sent] of this.inflight) {
      clearTimeout(sent.timer);
      if (!sent.givenUp) this.emit({ type: 'sendState', ref, status: 'failed', reason: 'connection lost before the server confirmed it' });
    }
    this.inflight.clear();
    const why = this.lastCloseReason ?? reason;
    this.lastCloseReason = undefined;
    if (this.stopping) {
      this.setState({ state: 'closed', reason: why });
      return;
    }
    const delay = backoffDelay(this.attempt++, this.opts.backoff);
    this.setState({ state: 'reconnecting', reason: why, retryInMs: delay });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** The client's own requests (rejoins, gap fill, the room list): paced like the user's. */
  private transmit(message: ClientMessage): void {
    this.pacer.send({ message, fromUser: false }, costOf(message));
  }

  /** hello, ping and quit skip the queue (a ping must measure the network, not our queue), but still cost. */
  private transmitNow(message: ClientMessage): void {
    const text = encode(message);
    this.pacer.charge(sendCost(Buffer.byteLength(text)));
    this.transport?.send(text);
  }

  private deliver(out: Outgoing): void {
    const { message } = out;
    if ((message.type === 'say' || message.type === 'dm') && message.ref) {
      const ref = message.ref;
      const timer = setTimeout(() => this.noAnswer(ref), this.opts.ackTimeoutMs);
      this.inflight.set(ref, { message, timer, givenUp: false });
    }
    this.transport?.send(encode(message));
  }

  private noAnswer(ref: string): void {
    const sent = this.inflight.get(ref);
    if (!sent || sent.givenUp) return;
    sent.givenUp = true;
    const seconds = Math.round(this.opts.ackTimeoutMs / 1000);
    this.emit({ type: 'sendState', ref, status: 'failed', reason: `no answer from the server in ${seconds} s` });
  }

  /** The server answered `ref` (an ack, an error, the dm echo): returns what was sent. */
  private answered(ref: string | undefined): ClientMessage | undefined {
    const sent = ref === undefined ? undefined : this.inflight.get(ref);
    if (!sent) return undefined;
    clearTimeout(sent.timer);
    this.inflight.delete(ref!);
    return sent.message;
  }

  /**
   * A RATE_LIMITED without a ref refused one of our messages, and we cannot tell which. The server handles
   * what it read in order and refuses what arrives while its queue is full, so the refused one is the newest
   * it read: the newest unanswered say or dm is shown as refused. If that guess is wrong, the line's ack still
   * comes and puts it right, and the one really refused gets no answer and fails on its timeout. Either way
   * nothing stays "sending".
   */
  private refusedWithoutRef(msg: Extract<ServerMessage, { type: 'error' }>): Extract<ServerMessage, { type: 'error' }> {
    this.pacer.slowDown();
    const newest = [...this.inflight].reverse().find(([, sent]) => !sent.givenUp);
    if (!newest) return msg;
    const [ref, sent] = newest;
    clearTimeout(sent.timer);
    sent.givenUp = true;
    return { ...msg, ref };
  }

  private receive(text: string): void {
    const parsed = parseServerMessage(text);
    if (!parsed.ok) {
      // tcp:// to the WebSocket port: an HTTP server answers our JSON with an error page and closes.
      if (!this.registeredOnce && text.startsWith('HTTP/')) this.lastCloseReason = `an HTTP server answered (${text.trim()}): for the WebSocket port use ws://`;
      // tcp:// to a TLS port: its one plain line says to use tls://.
      if (!this.registeredOnce && text.startsWith('error: this port speaks TLS')) this.lastCloseReason = text.slice('error: '.length).trim();
      return; // a newer server's extra message types are not ours to draw
    }
    let msg = parsed.value;
    if (msg.type === 'history' || msg.type === 'search' || msg.type === 'rooms' || msg.type === 'who') this.pacer.charge(replyCost(text.length));
    switch (msg.type) {
      case 'welcome': return this.welcomed(msg);
      case 'error':
        if (this.refusedNick(msg)) return;
        if (msg.ref) this.answered(msg.ref);
        else if (msg.code === ErrorCode.RATE_LIMITED) msg = this.refusedWithoutRef(msg);
        break;
      case 'ack': {
        const sent = this.answered(msg.ref);
        if (sent?.type === 'say') this.markSeq(sent.room, msg.seq);
        break;
      }
      case 'dm': this.answered(msg.ref); break;
      case 'message': this.markSeq(msg.room, msg.seq); break;
      case 'history': this.historyPage(msg); break;
      case 'joined':
        if (caseFold(msg.nick) === caseFold(this.nickname)) {
          if (!this.rooms.has(caseFold(msg.room))) this.rooms.set(caseFold(msg.room), { name: msg.room, lastSeq: 0, synced: false });
          // `joined` carries no topic; the room list does.
          this.transmit({ type: 'rooms' });
        }
        break;
      case 'left': if (caseFold(msg.nick) === caseFold(this.nickname)) this.rooms.delete(caseFold(msg.room)); break;
      case 'nick': if (caseFold(msg.old) === caseFold(this.nickname)) this.nickname = msg.new; break;
      case 'away': if (caseFold(msg.nick) === caseFold(this.nickname)) this.awayReason = msg.reason; break;
      case 'pong': this.liveness.pong(msg.ref); return;
      case 'bye': this.lastCloseReason = `server: ${msg.reason}`; break;
      // A reconnect logs in again with the password that worked.
      case 'account':
        this.password = msg.account === undefined ? undefined : (this.pendingPassword ?? this.password);
        this.pendingPassword = undefined;
        break;
      default: break;
    }
    this.emit({ type: 'message', msg });
  }

  private welcomed(msg: Extract<ServerMessage, { type: 'welcome' }>): void {
    clearTimeout(this.helloTimer);
    this.nickname = msg.nick;
    this.attempt = 0;
    this.ghostRetries = 0;
    if (this.learnsPace && msg.limits) this.pacer.retune(paceFor(msg.limits));
    this.setState({ state: 'online' });
    this.emit({ type: 'message', msg });
    if (this.registeredOnce) {
      for (const [key, mark] of this.rooms) {
        if (mark.synced) this.gaps.expect(key, mark.lastSeq);
        if (key !== caseFold(LOBBY)) this.transmit({ type: 'join', room: mark.name });
      }
      if (this.awayReason !== undefined) this.transmit({ type: 'away', reason: this.awayReason });
    } else {
      const wanted = new Set<string>([caseFold(LOBBY)]);
      for (const room of this.opts.autojoin) {
        if (wanted.has(caseFold(room))) continue;
        wanted.add(caseFold(room));
        this.transmit({ type: 'join', room });
      }
    }
    this.registeredOnce = true;
    for (const message of this.queue.splice(0)) {
      if (message.ref) this.emit({ type: 'sendState', ref: message.ref, status: 'sending' });
      this.pacer.send({ message, fromUser: true }, costOf(message));
    }
    this.liveness.start();
  }

  private refusedNick(msg: Extract<ServerMessage, { type: 'error' }>): boolean {
    if (this.state !== 'registering') return false;
    if (!NICK_REFUSALS.has(msg.code)) return false;
    if (msg.code === ErrorCode.NICK_TAKEN && this.registeredOnce && this.ghostRetries < GHOST_NICK_RETRIES) {
      this.ghostRetries++;
      this.lastCloseReason = `${this.nickname} is still held by the old connection`;
      this.transport?.close();
      return true;
    }
    clearTimeout(this.helloTimer);
    this.awaitingNick = true;
    const reason = msg.code === ErrorCode.NICK_TAKEN ? `The nick ${this.nickname} is taken.`
      : msg.code === ErrorCode.NICK_INVALID ? `The nick ${this.nickname} is not valid: ${msg.message}.`
      : `${msg.message}.`;
    this.emit({ type: 'nickRejected', nick: this.nickname, reason });
    return true;
  }

  private markSeq(room: string, seq: number): void {
    const mark = this.rooms.get(caseFold(room));
    if (mark && seq > mark.lastSeq) mark.lastSeq = seq;
  }

  private historyPage(page: Extract<ServerMessage, { type: 'history' }>): void {
    const mark = this.rooms.get(caseFold(page.room));
    if (mark) mark.synced = true;
    for (const m of page.messages) this.markSeq(page.room, m.seq);
    const step = this.gaps.onHistory(caseFold(page.room), page);
    if (step && 'next' in step) this.transmit({ type: 'history', ...step.next });
    else if (step) this.emit({ type: 'historyCut', room: page.room, below: step.abandonBelow });
  }
}

function costOf(message: ClientMessage): number {
  return sendCost(Buffer.byteLength(encode(message)));
}
