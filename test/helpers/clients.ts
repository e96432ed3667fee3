/** Scripted protocol clients over real sockets, for integration tests. */
import net from 'node:net';
import tls from 'node:tls';
import WebSocket from 'ws';
import type { ChatMessage, ServerMessage } from '../../shared/protocol.js';

type Match = ServerMessage['type'] | ((m: ServerMessage) => boolean);

// Generous: a shared CI machine under load can take seconds to answer; a passing test never waits this long.
const DEFAULT_WAIT_MS = 15_000;

/** A JSON client (WebSocket or TCP lines) that keeps what it receives until a test takes it. */
export class JsonClient {
  readonly received: ServerMessage[] = [];
  private inbox: ServerMessage[] = [];
  private waiters: Array<() => void> = [];
  closed = false;
  readonly closedPromise: Promise<void>;
  private markClosed!: () => void;

  private constructor(
    private readonly sendText: (text: string | Buffer) => void,
    private readonly end: () => void,
    private readonly lineEnd: string,
  ) {
    this.closedPromise = new Promise((resolve) => { this.markClosed = resolve; });
  }

  static ws(url: string, options?: WebSocket.ClientOptions): Promise<JsonClient & { socket: WebSocket }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      const client = new JsonClient((t) => ws.send(t, { binary: false }), () => ws.close(), '') as JsonClient & { socket: WebSocket };
      client.socket = ws;
      ws.on('message', (data, isBinary) => { if (!isBinary) client.push(String(data)); });
      ws.on('close', () => client.onClose());
      // ws is already CLOSING when it reports a failed handshake (a refused upgrade, a certificate).
      let opened = false;
      ws.on('error', (err) => (opened ? undefined : reject(err)));
      ws.on('open', () => {
        opened = true;
        resolve(client);
      });
    });
  }

  /** `localAddress` binds the client to another loopback address (127.0.0.2, …) to look like another host. */
  static tcp(port: number, localAddress?: string): Promise<JsonClient & { socket: net.Socket }> {
    return JsonClient.lines(net.connect({ port, host: '127.0.0.1', localAddress }), 'connect');
  }

  /** JSON lines over TLS; `options` carry the CA (or rejectUnauthorized: false). */
  static tls(port: number, options: tls.ConnectionOptions = {}): Promise<JsonClient & { socket: tls.TLSSocket }> {
    return JsonClient.lines(tls.connect({ port, host: '127.0.0.1', ...options }), 'secureConnect');
  }

  private static lines<S extends net.Socket>(socket: S, ready: 'connect' | 'secureConnect'): Promise<JsonClient & { socket: S }> {
    return new Promise((resolve, reject) => {
      const client = new JsonClient((t) => socket.write(t), () => socket.end(), '\n') as JsonClient & { socket: S };
      client.socket = socket;
      let buffer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line.startsWith('{')) client.push(line);
        }
      });
      socket.on('close', () => client.onClose());
      socket.on('error', reject);
      socket.on(ready, () => resolve(client));
    });
  }

  /** Connects and registers; resolves once the lobby join has been fully answered (who). */
  static async registered(kind: 'ws' | 'tcp', target: string | number, nick: string): Promise<JsonClient> {
    const client = kind === 'ws' ? await JsonClient.ws(String(target)) : await JsonClient.tcp(Number(target));
    client.send({ type: 'hello', nick });
    await client.next('welcome');
    await client.next((m) => m.type === 'joined' && m.nick === nick);
    await client.next((m) => m.type === 'history' && m.room === '#lobby');
    await client.next((m) => m.type === 'who' && m.room === '#lobby');
    return client;
  }

  /**
   * A TCP JSON user from its own loopback address (127.x.y.z, to look like another host): says hello and
   * resolves once it is in #lobby.
   */
  static async from(port: number, localAddress: string, nick: string): Promise<JsonClient> {
    const client = await JsonClient.tcp(port, localAddress);
    client.send({ type: 'hello', nick });
    await client.next((m) => m.type === 'who' && m.room === '#lobby');
    return client;
  }

  /** Joins `room`; resolves with the join's `who`, or its error. The join's history is taken out of the way. */
  async join(room: string, key?: string): Promise<ServerMessage> {
    const ref = `j${room}`;
    this.send(key === undefined ? { type: 'join', room, ref } : { type: 'join', room, key, ref });
    const answer = await this.next((m) => (m.type === 'who' && m.room === room) || (m.type === 'error' && m.ref === ref));
    if (answer.type === 'who') await this.next((m) => m.type === 'history' && m.room === room);
    return answer;
  }

  send(message: object): void {
    this.sendText(JSON.stringify(message) + this.lineEnd);
  }

  /** Sends bytes as they are: a WebSocket text frame, or raw bytes on TCP (add the '\n' yourself). */
  sendRaw(data: string | Buffer): void {
    this.sendText(data);
  }

  /** Takes the first received message that matches, waiting for it if needed. */
  async next(match: Match, ms = DEFAULT_WAIT_MS): Promise<ServerMessage> {
    const test = typeof match === 'string' ? (m: ServerMessage) => m.type === match : match;
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.inbox.findIndex(test);
      if (i >= 0) return this.inbox.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) {
        throw new Error(`no matching message within ${ms} ms; inbox: ${JSON.stringify(this.inbox).slice(0, 800)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  /** Takes an error answer and checks its code. */
  async error(code: string, ms?: number): Promise<ServerMessage & { type: 'error' }> {
    const m = await this.next('error', ms);
    if (m.type !== 'error' || m.code !== code) throw new Error(`expected error ${code}, got ${JSON.stringify(m)}`);
    return m;
  }

  /** Resolves true if no matching message arrives within `ms`. */
  async none(match: Match, ms = 300): Promise<boolean> {
    try {
      await this.next(match, ms);
      return false;
    } catch {
      return true;
    }
  }

  close(): void {
    this.end();
  }

  private push(text: string): void {
    const m = JSON.parse(text) as ServerMessage;
    this.received.push(m);
    this.inbox.push(m);
    this.wake();
  }

  private onClose(): void {
    this.closed = true;
    this.markClosed();
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** A human on nc/telnet: raw bytes out, text in. */
export class TextClient {
  text = '';
  closed = false;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('latin1');
      this.wake();
    });
    socket.on('close', () => { this.closed = true; this.wake(); });
  }

  /** `localAddress` binds to another loopback address (127.0.0.2, …) to look like another host. */
  static connect(port: number, options: { localAddress?: string } = {}): Promise<TextClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', ...options }, () => resolve(new TextClient(socket)));
      socket.on('error', reject);
    });
  }

  /** Text mode over TLS, as `openssl s_client` would type it. */
  static tls(port: number, options: tls.ConnectionOptions = {}): Promise<TextClient> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ port, host: '127.0.0.1', ...options }, () => resolve(new TextClient(socket)));
      socket.on('error', reject);
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Waits until the text received so far matches; returns the match. */
  async waitFor(pattern: RegExp, ms = DEFAULT_WAIT_MS): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = this.text.match(pattern);
      if (m) return m;
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) throw new Error(`text never matched ${pattern}; got:\n${this.text.slice(-1500)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  /** What arrived so far, decoded as UTF-8 (`text` keeps latin1 so IAC bytes stay visible). */
  utf8(): string {
    return Buffer.from(this.text, 'latin1').toString('utf8');
  }

  /** Waits until the UTF-8 text that arrived after character offset `from` matches; returns the match. */
  async waitAfter(from: number, pattern: RegExp, ms = DEFAULT_WAIT_MS): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = this.utf8().slice(from).match(pattern);
      if (m) return m;
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) throw new Error(`never saw ${pattern} after ${from}; got:\n${this.utf8().slice(from).slice(-1500)}`);
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

/** Pages a room's history back from the newest, as a reconnecting client does. */
export async function fullHistory(c: JsonClient, room: string): Promise<ChatMessage[]> {
  const all: ChatMessage[] = [];
  let before: number | undefined;
  for (;;) {
    c.send(before === undefined ? { type: 'history', room, limit: 200 } : { type: 'history', room, before, limit: 200 });
    const page = await c.next((m) => m.type === 'history' && m.room === room, 15_000);
    if (page.type !== 'history') throw new Error('unreachable');
    all.unshift(...page.messages);
    if (!page.more || page.messages.length === 0) return all;
    before = page.messages[0]!.seq;
  }
}
