/**
 * A raw-socket IRC client for tests: writes lines as typed, parses every line the server sends with our
 * own parser, and waits for the one a test expects.
 */
import net from 'node:net';
import tls from 'node:tls';
import { parseMessage, type ParsedMessage } from '../../server/irc/message.js';

// Generous: a shared CI machine under load can take seconds to answer; a passing test never waits this long.
const DEFAULT_WAIT_MS = 15_000;

type Match = string | ((m: ParsedMessage) => boolean);

export class IrcClient {
  /** Every line received, raw (without CRLF). */
  readonly lines: string[] = [];
  private inbox: ParsedMessage[] = [];
  private waiters: (() => void)[] = [];
  private buffer = '';
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\r\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 2);
        this.lines.push(line);
        const parsed = parseMessage(line);
        if (!parsed.ok) throw new Error(`server sent an unparsable line: ${JSON.stringify(line)}`);
        this.inbox.push(parsed.value);
      }
      this.wake();
    });
    this.closedPromise = new Promise((resolve) => socket.on('close', () => {
      this.closed = true;
      this.wake();
      resolve();
    }));
  }

  static connect(port: number, localAddress?: string): Promise<IrcClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) }, () => resolve(new IrcClient(socket)));
      socket.on('error', reject);
    });
  }

  /** IRC over TLS, as irssi -s or weechat's tls option would connect. */
  static tls(port: number, options: tls.ConnectionOptions = {}): Promise<IrcClient> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ port, host: '127.0.0.1', ...options }, () => resolve(new IrcClient(socket)));
      socket.on('error', reject);
    });
  }

  /** Connects and registers with NICK and USER (and PASS first when given); resolves after the MOTD. */
  static async registered(port: number, nick: string, pass?: string): Promise<IrcClient> {
    const c = await IrcClient.connect(port);
    if (pass !== undefined) c.send(`PASS :${pass}`);
    c.send(`NICK ${nick}`);
    c.send(`USER ${nick} 0 * :${nick} the tester`);
    await c.next((m) => m.verb === '376' || m.verb === '422');
    c.inbox = [];
    return c;
  }

  /** CAP REQ; resolves once acknowledged (a NAK fails). */
  async requestCaps(caps: string): Promise<void> {
    this.send(`CAP REQ :${caps}`);
    const answer = await this.next((m) => m.verb === 'CAP' && (m.params[1] === 'ACK' || m.params[1] === 'NAK'));
    if (answer.params[1] !== 'ACK') throw new Error(`capabilities refused: ${caps}`);
  }

  /** JOIN; resolves at the channel's 366 (its NAMES are done). */
  async join(channel: string): Promise<void> {
    this.send(`JOIN ${channel}`);
    await this.next((m) => m.verb === '366' && m.params[1] === channel);
  }

  send(line: string): void {
    this.socket.write(`${line}\r\n`);
  }

  /** Takes the first received message that matches (a verb, or a test), waiting for it. */
  async next(match: Match, ms = DEFAULT_WAIT_MS): Promise<ParsedMessage> {
    const test = typeof match === 'string' ? (m: ParsedMessage) => m.verb === match : match;
    const i = await this.arrived(test, ms, `no matching line within ${ms} ms`);
    return this.inbox.splice(i, 1)[0]!;
  }

  /**
   * Sends PING and resolves with every message that came before its PONG, taking them: what the
   * server sent in answer to everything before the PING.
   */
  async sync(token = `t${Math.random().toString(36).slice(2)}`): Promise<ParsedMessage[]> {
    this.send(`PING ${token}`);
    const i = await this.arrived((m) => m.verb === 'PONG' && m.params[1] === token, DEFAULT_WAIT_MS, `no PONG ${token}`);
    const before = this.inbox.slice(0, i);
    this.inbox = this.inbox.slice(i + 1);
    return before;
  }

  /** Where in the inbox the first message passing `test` is, waiting up to `ms` for one to arrive. */
  private async arrived(test: (m: ParsedMessage) => boolean, ms: number, failure: string): Promise<number> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.inbox.findIndex(test);
      if (i >= 0) return i;
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) throw new Error(`${failure}; received:\n${this.lines.slice(-30).join('\n')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  close(): void {
    this.socket.end();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
