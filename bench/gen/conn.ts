/**
 * One load-generator connection on a raw socket: WebSocket (hand-written client), TCP JSON lines, or
 * IRC. While setting up it reads replies; once ready it only scans the byte stream for tokens.
 */
import net from 'node:net';
import type { Dialect } from './dialect.js';
import { ircDialect } from './irc-dialect.js';
import { jsonDialect } from './json-dialect.js';
import { LineReader } from './line-reader.js';
import { TokenScanner, type TokenSink } from './tokens.js';
import {
  FrameReader, OP_CLOSE, OP_PING, OP_PONG, checkHandshakeResponse, encodeFrame, encodeText, handshakeRequest,
} from './ws-frames.js';

export type Transport = 'ws' | 'tcp' | 'irc';

export interface ConnSpec {
  transport: Transport;
  host: string;
  port: number;
  localAddress?: string;
  nick: string;
  rooms: string[];
  /** Which node of a cluster this connection is on; absent against a single server. */
  node?: number;
}

export interface ConnHooks {
  ready(conn: Conn): void;
  failed(conn: Conn, reason: string): void;
  closed(conn: Conn): void;
  /** `node` is the receiving connection's node, on a cluster. */
  token(kind: number, us: number, node?: number): void;
}

type State = 'connecting' | 'upgrading' | 'registering' | 'joining' | 'ready' | 'closed';

// Every socket reads into this one buffer: handlers run synchronously, and nothing keeps a view of it.
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const SCRATCH = Buffer.allocUnsafe(32);

export function dialectOf(t: Transport): Dialect {
  return t === 'irc' ? ircDialect : jsonDialect;
}

export class Conn {
  readonly socket: net.Socket;
  state: State = 'connecting';
  readonly dialect: Dialect;
  private readonly ws: boolean;
  private readonly frames: FrameReader | null = null;
  private readonly lines: LineReader | null = null;
  private readonly scanner = new TokenScanner(SCRATCH);
  /** Against a single server the hook itself, so its lanes pay nothing for the node. */
  private readonly sink: TokenSink;
  private upgradeHead = '';
  private accept = '';
  private joinsLeft = 0;
  startedAt = performance.now();
  readyAt = 0;

  constructor(readonly spec: ConnSpec, private readonly hooks: ConnHooks) {
    this.ws = spec.transport === 'ws';
    const node = spec.node;
    this.sink = node === undefined ? hooks.token : (kind, us) => hooks.token(kind, us, node);
    this.dialect = dialectOf(spec.transport);
    if (this.ws) {
      this.frames = new FrameReader({
        wantText: () => this.state !== 'ready',
        onText: (p) => this.onSetupText(p.toString('utf8')),
        onControl: (op, p) => this.onControl(op, p),
      });
    } else {
      this.lines = new LineReader((line) => this.onSetupText(line));
    }
    this.socket = net.connect({
      host: spec.host,
      port: spec.port,
      localAddress: spec.localAddress,
      noDelay: true,
      onread: { buffer: READ_BUFFER, callback: (n: number, buf: Uint8Array) => this.onRead(n, buf as Buffer) },
    });
    this.socket.once('connect', () => this.onConnect());
    this.socket.on('error', (err) => this.fail(`socket: ${err.message}`));
    this.socket.once('close', () => {
      const was = this.state;
      this.state = 'closed';
      if (was === 'ready') this.hooks.closed(this);
      else if (was !== 'closed') this.hooks.failed(this, 'closed during set-up');
    });
  }

  /** Sends one protocol message (a frame, or a line). */
  send(text: string): void {
    if (this.state === 'closed') return;
    this.socket.write(this.ws ? encodeText(text) : text + this.dialect.eol);
  }

  /**
   * Resets rather than closes: a normal close leaves each of our ports in TIME_WAIT for a minute, and
   * the next lane's tens of thousands of connects then crawl through a crowded port space.
   */
  close(): void {
    if (this.state !== 'closed') this.socket.resetAndDestroy();
  }

  private onConnect(): void {
    if (this.ws) {
      const h = handshakeRequest(this.spec.host, this.spec.port);
      this.accept = h.accept;
      this.state = 'upgrading';
      this.socket.write(h.request);
    } else {
      this.register();
    }
  }

  private register(): void {
    this.state = 'registering';
    for (const m of this.dialect.register(this.spec.nick)) this.send(m);
  }

  private onRead(n: number, buf: Buffer): boolean {
    let view = buf.subarray(0, n);
    if (this.state === 'upgrading') {
      const rest = this.readUpgrade(view);
      if (rest === null) return true;
      view = rest;
    }
    if (this.state === 'ready') this.scanner.scan(view, this.sink);
    if (this.frames) this.frames.push(view);
    else if (this.state !== 'ready') this.lines!.push(view);
    else if (this.spec.transport === 'irc') this.answerPings(view);
    return true;
  }

  /** Consumes the HTTP 101 head; returns the bytes after it, or null while it is incomplete. */
  private readUpgrade(view: Buffer): Buffer | null {
    const before = this.upgradeHead.length;
    this.upgradeHead += view.toString('latin1');
    const end = this.upgradeHead.indexOf('\r\n\r\n');
    if (end === -1) {
      if (this.upgradeHead.length > 8192) this.fail('upgrade response too long');
      return null;
    }
    const err = checkHandshakeResponse(this.upgradeHead.slice(0, end), this.accept);
    if (err) {
      this.fail(err);
      return null;
    }
    const used = end + 4 - before;
    this.upgradeHead = '';
    this.register();
    return view.subarray(used);
  }

  private onSetupText(text: string): void {
    if (this.state === 'ready' || this.state === 'closed') return;
    const ev = this.dialect.classify(text);
    if (!ev) return;
    switch (ev.kind) {
      case 'reply':
        this.send(ev.text);
        return;
      case 'failed':
        this.fail(ev.reason);
        return;
      case 'registered':
        if (this.state !== 'registering') return;
        if (this.spec.rooms.length === 0) return this.becomeReady();
        this.state = 'joining';
        this.joinsLeft = this.spec.rooms.length;
        this.spec.rooms.forEach((room, i) => {
          for (const m of this.dialect.join(room, i)) this.send(m);
        });
        return;
      case 'joined':
        if (this.state === 'joining' && --this.joinsLeft === 0) this.becomeReady();
        return;
    }
  }

  private becomeReady(): void {
    this.state = 'ready';
    this.readyAt = performance.now();
    this.lines?.reset();
    this.hooks.ready(this);
  }

  private onControl(op: number, payload: Buffer): void {
    if (op === OP_PING) this.socket.write(encodeFrame(OP_PONG, payload));
    else if (op === OP_CLOSE) this.socket.end();
  }

  /** Rare in a short run (ngIRCd pings idle clients), so a plain search per chunk is enough. */
  private answerPings(view: Buffer): void {
    let p = view.indexOf('PING ');
    while (p !== -1) {
      const eol = view.indexOf('\r\n', p);
      if (eol === -1) return;
      if (p === 0 || view[p - 1] === 0x0a) this.send(`PONG ${view.toString('latin1', p + 5, eol)}`);
      p = view.indexOf('PING ', eol);
    }
  }

  private fail(reason: string): void {
    if (this.state === 'closed') return;
    const was = this.state;
    this.state = 'closed';
    this.socket.destroy();
    if (was === 'ready') this.hooks.closed(this);
    else this.hooks.failed(this, reason);
  }
}
