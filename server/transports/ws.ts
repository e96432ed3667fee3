/** WebSocket transport: one JSON message per text frame. Knows nothing of rooms. */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { isUtf8 } from 'node:buffer';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { ErrorCode } from '../../shared/errors.js';
import { MAX_FRAME_BYTES } from '../../shared/limits.js';
import type { Logger } from '../log.js';
import type { Outgoing } from '../outgoing.js';
import type { Session } from '../session.js';
import { isRefused, ticketOf } from './admission-gate.js';
import { originAllowed } from './origins.js';
import { CLOSE_GRACE_MS, SocketPeer, type PeerHost, type Refusal } from './socket-peer.js';

/**
 * Frames between our 64 KiB limit and this one are read and refused with TOO_LARGE; bigger ones are
 * cut by `ws` itself with close code 1009 before they are buffered.
 */
const HARD_MAX_PAYLOAD = 1024 * 1024;

const UPGRADES_PER_TURN = 32;

const CLOSE_CODES: Record<string, number> = { shutdown: 1001, quit: 1000, 'slow consumer': 1008, flood: 1008 };

const BINARY: Refusal = { refused: ErrorCode.BAD_MESSAGE, message: 'binary frames are not accepted; send JSON text' };
const OVERSIZE: Refusal = { refused: ErrorCode.TOO_LARGE, message: `frame is over ${MAX_FRAME_BYTES} bytes` };

class WsPeer extends SocketPeer {
  alive = true;
  /** Its input gate stopped reading it: pongs wait unread in the socket, so silence proves nothing. */
  readingPaused = false;

  constructor(readonly ws: WebSocket, remote: string, socket: Socket, host: PeerHost) {
    super('ws', remote, socket, host);
  }

  /**
   * Charges every byte read, whatever frames it holds: pongs, pings and empty fragments make no message,
   * and charging only messages' payloads left a stream of them free.
   */
  read(bytes: number): void {
    this.charge(bytes);
  }

  receive(data: Buffer, isBinary: boolean): void {
    this.alive = true;
    if (isBinary) this.input(BINARY);
    else if (data.length > MAX_FRAME_BYTES) this.input(OVERSIZE);
    else this.input(data);
  }

  protected handleInput(session: Session, frame: Buffer): void | Promise<void> {
    const { dispatcher } = this.host;
    if (!isUtf8(frame)) return dispatcher.refuse(session, ErrorCode.BAD_ENCODING, 'frame is not valid UTF-8');
    return dispatcher.receiveRaw(session, frame.toString('utf8'));
  }

  // ws stops reading the socket, and emits no more messages than it has already parsed.
  override pauseReading(): void {
    this.readingPaused = true;
    this.ws.pause();
  }

  override resumeReading(): void {
    // Until the next ping: what waited in the socket (the pong too) is read after the timers of this turn.
    this.readingPaused = false;
    this.alive = true;
    if (!this.closing) this.ws.resume();
  }

  // Frames are built once per message and written straight to the socket. That is safe beside ws's own
  // writes (pings, close) because with permessage-deflate off ws never holds frames back in a queue.
  protected encode(out: Outgoing): Buffer {
    return out.wsFrame;
  }

  protected override finish(reason: string): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(CLOSE_CODES[reason] ?? 4000, reason.slice(0, 100));
    setTimeout(() => this.cut(), CLOSE_GRACE_MS).unref();
  }
}

const PEER = Symbol('peer');
type PeerSocket = Socket & { [PEER]?: WsPeer };

function countRead(this: PeerSocket, chunk: Buffer): void {
  this[PEER]?.read(chunk.length);
}

function answerAndClose(socket: Socket, response: string): void {
  socket.end(response);
  // The HTTP server has let go of it and a client may keep its side open: read and discard (unread
  // input would reset the answer away) and cut it, so it does not hold its admission place for good.
  socket.resume();
  setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
}

export interface WsTransportOptions {
  host: PeerHost;
  log: Logger;
  pingIntervalMs: number;
  /** Origins browsers may connect from (null: any); requests without an Origin header always pass. */
  allowedOrigins: ReadonlySet<string> | null;
}

export function attachWebSocket(server: HttpServer, opts: WsTransportOptions): { close(): void } {
  const { host, log } = opts;
  const peers = new Set<WsPeer>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: HARD_MAX_PAYLOAD,
    perMessageDeflate: false,
    clientTracking: false,
    // We check UTF-8 ourselves so that bad bytes get BAD_ENCODING instead of a closed connection.
    skipUTF8Validation: true,
  });

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    // The HTTP server stops listening for errors on an upgraded socket: without this, a peer that
    // resets while we answer (a 404 here) raises an unhandled 'error' and kills the process.
    socket.on('error', (err) => log.debug({ err }, 'upgrade socket error'));
    // Refused on accept and already answered 429/503.
    if (isRefused(socket)) return;
    if ((req.url ?? '/').split('?')[0] !== '/') return answerAndClose(socket, 'HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    const origin = req.headers.origin;
    if (!originAllowed(opts.allowedOrigins, origin)) {
      host.metrics.connectionsRefused.inc({ reason: 'origin' });
      log.info({ origin: origin?.slice(0, 200), remote: `${socket.remoteAddress}:${socket.remotePort}` }, 'websocket from an origin not allowed: refused');
      const body = 'this origin may not connect to this chat server\n';
      return answerAndClose(socket, `HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    }
    upgrades.push({ req, socket, head });
    if (upgrades.length === 1) setImmediate(upgradeSome);
  });

  // A burst of new connections is answered UPGRADES_PER_TURN at a time, with a turn between, so the
  // clients already chatting are not held up behind hundreds of handshakes in one turn.
  const upgrades: Array<{ req: IncomingMessage; socket: Socket; head: Buffer }> = [];
  function upgradeSome(): void {
    for (const { req, socket, head } of upgrades.splice(0, UPGRADES_PER_TURN)) {
      if (socket.destroyed) continue;
      wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, socket));
    }
    if (upgrades.length > 0) setImmediate(upgradeSome);
  }

  function onConnection(ws: WebSocket, socket: Socket): void {
    socket.setNoDelay(true);
    const peer = new WsPeer(ws, `${socket.remoteAddress}:${socket.remotePort}`, socket, host);
    peer.registration = ticketOf(socket);
    peers.add(peer);
    ws.on('error', (err) => log.debug({ err, remote: peer.remote }, 'websocket error'));
    ws.on('close', () => {
      peers.delete(peer);
      peer.gone();
    });
    ws.on('pong', () => { peer.alive = true; });
    peer.session = host.hub.connect(peer);
    if (!peer.session) return;
    ws.on('message', (data: RawData, isBinary: boolean) => peer.receive(data as Buffer, isBinary));
    // Beside ws's own reader, so it sees the same bytes and stops with it when paused. One listener for
    // every socket, finding its peer on the socket: a closure each would cost every idle connection.
    (socket as PeerSocket)[PEER] = peer;
    socket.on('data', countRead);
  }
  wss.on('error', (err) => log.error({ err }, 'websocket server error'));

  // A peer that has not answered the previous ping is dead: cut it (no bye; it cannot hear one). One
  // whose reading is paced is judged once it is read again: its pong may be waiting in the socket.
  const heartbeat = setInterval(() => {
    for (const peer of peers) {
      if (!peer.alive && !peer.readingPaused) {
        peer.cut();
        continue;
      }
      peer.alive = false;
      peer.ws.ping();
    }
  }, opts.pingIntervalMs);
  heartbeat.unref();

  return {
    close() {
      clearInterval(heartbeat);
      // Handshakes still queued are answered 503 by ws itself once it is closed.
      wss.close();
    },
  };
}
