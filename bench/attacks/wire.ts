/**
 * A small protocol client on a raw socket, for attacks, the soak's clients and the bystander: TCP JSON
 * lines, WebSocket (bench/gen's hand-written frames) or text mode. It hands each received JSON text or
 * text line to its owner as bytes, so an owner that only needs the `type` of a 16 KB message never
 * decodes it (see typeOf).
 */
import { setMaxListeners } from 'node:events';
import net from 'node:net';
import { LineSplitter } from '../../shared/lines.js';
import {
  FrameReader, OP_CLOSE, OP_PING, OP_PONG, checkHandshakeResponse, encodeFrame, encodeText, handshakeRequest,
} from '../gen/ws-frames.js';

export type WireKind = 'tcp' | 'ws' | 'text';

export interface WireOptions {
  kind: WireKind;
  port: number;
  /** A source address in 127.0.0.0/8, so that a group of clients looks like one user or many. */
  localAddress?: string;
  /** Reads at most this many bytes a second, like a client on a slow link (unlimited by default). */
  readBytesPerSec?: number;
  /** Gives up connecting (and upgrading) after this long. */
  timeoutMs?: number;
}

/** Ticks of the read throttle. */
const THROTTLE_TICK_MS = 50;

export class Wire {
  readonly socket: net.Socket;
  /** Resolves when the socket has closed, whoever closed it. */
  readonly closed: Promise<void>;
  isClosed = false;
  /** We ended the connection ourselves (close, drop or quit). */
  endedByUs = false;
  bytesIn = 0;
  bytesOut = 0;
  private onText: ((text: Buffer) => void) | null = null;
  /** What arrived before the owner set its handler. */
  private early: Buffer[] = [];
  private stalled = false;
  private readonly frames: FrameReader | null = null;
  private readonly lines: LineSplitter | null = null;
  private allowance = Infinity;
  private throttle: NodeJS.Timeout | null = null;

  private constructor(readonly opts: WireOptions, socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    if (opts.kind === 'ws') {
      this.frames = new FrameReader({
        wantText: () => true,
        onText: (p) => this.deliver(p),
        onControl: (op, p) => {
          if (op === OP_PING) this.write(encodeFrame(OP_PONG, p));
          else if (op === OP_CLOSE) socket.end();
        },
      });
    } else {
      // The server's own splitter; a line past its cap (never sent by the server) is skipped.
      this.lines = new LineSplitter(LINE_MAX_BYTES, (line) => this.deliver(line), () => {});
    }
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.isClosed = true;
      if (this.throttle) clearInterval(this.throttle);
      resolve();
    }));
    socket.on('error', () => {});
    if (opts.readBytesPerSec) {
      const perTick = (opts.readBytesPerSec * THROTTLE_TICK_MS) / 1000;
      this.allowance = perTick;
      this.throttle = setInterval(() => {
        this.allowance = perTick;
        if (!this.stalled && socket.isPaused()) socket.resume();
      }, THROTTLE_TICK_MS);
    }
  }

  /** Connects (and upgrades, for WebSocket); rejects when the server refuses or `timeoutMs` pass. */
  static open(opts: WireOptions): Promise<Wire> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port: opts.port, localAddress: opts.localAddress });
      const timer = setTimeout(() => fail(new Error('connect timeout')), opts.timeoutMs ?? 10_000);
      const fail = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      socket.once('error', fail);
      socket.once('close', () => fail(new Error('closed while connecting')));
      socket.once('connect', () => {
        if (opts.kind !== 'ws') return done();
        const h = handshakeRequest('127.0.0.1', opts.port);
        socket.write(h.request);
        let head = Buffer.alloc(0);
        const onData = (chunk: Buffer) => {
          head = Buffer.concat([head, chunk]);
          const end = head.indexOf('\r\n\r\n');
          if (end === -1) return;
          socket.off('data', onData);
          socket.pause();
          const err = checkHandshakeResponse(head.toString('latin1', 0, end), h.accept);
          if (err) return fail(new Error(err));
          done(head.subarray(end + 4));
        };
        socket.on('data', onData);
      });
      const done = (rest?: Buffer) => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.removeAllListeners('close');
        const wire = new Wire(opts, socket);
        if (rest?.length) wire.onData(rest);
        socket.on('data', (chunk: Buffer) => wire.onData(chunk));
        socket.resume();
        resolve(wire);
      };
    });
  }

  /** Receives every JSON text (a frame, or a line without its end) or text-mode line, as bytes valid during the call. */
  onReceive(handler: (text: Buffer) => void): void {
    this.onText = handler;
    const early = this.early;
    this.early = [];
    for (const text of early) handler(text);
  }

  private deliver(text: Buffer): void {
    if (this.onText) this.onText(text);
    else if (this.early.length < 1000) this.early.push(Buffer.from(text));
  }

  /** One protocol message: a text frame, or a line. */
  send(message: object): void {
    this.sendText(JSON.stringify(message));
  }

  sendText(text: string): void {
    if (this.opts.kind === 'ws') this.write(encodeText(text));
    else this.write(this.opts.kind === 'text' ? `${text}\r\n` : `${text}\n`);
  }

  /** Bytes as they are (several lines at once, or no line at all). */
  write(data: string | Buffer): boolean {
    if (this.isClosed || this.socket.destroyed) return false;
    this.bytesOut += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    return this.socket.write(data);
  }

  /** Stops reading for good: what the server sends piles up in the kernel, then in the server. */
  stall(): void {
    this.stalled = true;
    this.socket.pause();
  }

  /** A clean close (FIN). */
  close(): void {
    this.endedByUs = true;
    this.socket.end();
    // A peer that never answers the FIN must not keep the socket.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  /** Drops the connection without a goodbye (RST), as a client that loses its link. */
  drop(): void {
    this.endedByUs = true;
    if (!this.socket.destroyed) this.socket.resetAndDestroy();
  }

  private onData(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    if (this.frames) this.frames.push(chunk);
    else this.lines!.push(chunk);
    if (this.allowance !== Infinity) {
      this.allowance -= chunk.length;
      if (this.allowance <= 0) this.socket.pause();
    }
  }
}

/** Longer than any line the server writes (a history page is about 256 KiB). */
const LINE_MAX_BYTES = 8 * 1024 * 1024;

const TYPE_PREFIX = '{"type":"';

/**
 * The `type` of a server JSON text, read from its first bytes: the server always writes `type` first
 * (shared/encode.ts). Null for anything else (a text-mode line, the TCP banner).
 */
export function typeOf(text: Buffer): string | null {
  if (text.length < TYPE_PREFIX.length + 2 || text[0] !== 0x7b) return null;
  const head = text.toString('latin1', 0, Math.min(text.length, 24));
  if (!head.startsWith(TYPE_PREFIX)) return null;
  const end = head.indexOf('"', TYPE_PREFIX.length);
  return end === -1 ? null : head.slice(TYPE_PREFIX.length, end);
}

/** Parses a server JSON text (only for the few types an owner needs in full). */
export function parse<T = Record<string, unknown>>(text: Buffer): T {
  return JSON.parse(text.toString('utf8')) as T;
}

/**
 * Source addresses: group g, member i is 127.g.x.y. The soak gives every ordinary user its own address
 * and each attacker one address for all its connections, so per-address limits see them as they are.
 */
export function addressOf(group: number, index = 0): string {
  return `127.${group}.${Math.floor(index / 250) % 250}.${(index % 250) + 1}`;
}

/** Resolves after `ms`, or at once when `signal` is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** An abort controller whose signal many loops may wait on at once (sleep adds a listener per wait). */
export function stopController(): AbortController {
  const c = new AbortController();
  setMaxListeners(0, c.signal);
  return c;
}
