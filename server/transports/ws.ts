/** WebSocket transport: one JSON message per text frame. Knows nothing of rooms. */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { isUtf8 } from 'node:buffer';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { ErrorCode } from '../../shared/errors.js';
import { MAX_FRAME_BYTES } from '../../shared/limits.js';
import type { Dispatcher } from '../dispatch.js';
import type { Logger } from '../log.js';
import type { Outgoing } from '../outgoing.js';
import { CLOSE_GRACE_MS, SocketPeer, type PeerHost } from './socket-peer.js';

/**
 * Frames between our 64 KiB limit and this one are read and refused with TOO_LARGE; bigger ones are
 * cut by `ws` itself with close code 1009 before they are buffered.
 */
const HARD_MAX_PAYLOAD = 1024 * 1024;
const TEXT_FRAME = { binary: false };

const CLOSE_CODES: Record<string, number> = { shutdown: 1001, quit: 1000, 'slow consumer': 1008, flood: 1008 };

class WsPeer extends SocketPeer {
  alive = true;

  constructor(readonly ws: WebSocket, remote: string, host: PeerHost) {
    super('ws', remote, host);
  }

  protected write(out: Outgoing): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(out.payload, TEXT_FRAME);
  }

  protected buffered(): number {
    return this.ws.bufferedAmount;
  }

  protected finish(reason: string): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(CLOSE_CODES[reason] ?? 4000, reason.slice(0, 100));
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }
}

export interface WsTransportOptions {
  host: PeerHost;
  dispatcher: Dispatcher;
  log: Logger;
  pingIntervalMs: number;
}

export function attachWebSocket(server: HttpServer, opts: WsTransportOptions): { close(): void } {
  const { host, dispatcher, log } = opts;
  const peers = new Set<WsPeer>();
  const wss = new WebSocketServer({
    server,
    path: '/',
    maxPayload: HARD_MAX_PAYLOAD,
    perMessageDeflate: false,
    clientTracking: false,
    // We check UTF-8 ourselves so that bad bytes get BAD_ENCODING instead of a closed connection.
    skipUTF8Validation: true,
  });

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    (req.socket as { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true);
    const peer = new WsPeer(ws, `${req.socket.remoteAddress}:${req.socket.remotePort}`, host);
    peers.add(peer);
    ws.on('error', (err) => log.debug({ err, remote: peer.remote }, 'websocket error'));
    ws.on('close', () => {
      peers.delete(peer);
      peer.gone();
    });
    ws.on('pong', () => { peer.alive = true; });
    peer.session = host.hub.connect(peer);
    const session = peer.session;
    if (!session) return;
    ws.on('message', (data: RawData, isBinary: boolean) => {
      peer.alive = true;
      const bytes = data as Buffer;
      if (isBinary) return dispatcher.refuse(session, ErrorCode.BAD_MESSAGE, 'binary frames are not accepted; send JSON text');
      if (bytes.length > MAX_FRAME_BYTES) return dispatcher.refuse(session, ErrorCode.TOO_LARGE, `frame is over ${MAX_FRAME_BYTES} bytes`);
      if (!isUtf8(bytes)) return dispatcher.refuse(session, ErrorCode.BAD_ENCODING, 'frame is not valid UTF-8');
      dispatcher.receiveRaw(session, bytes.toString('utf8'));
    });
  });
  wss.on('error', (err) => log.error({ err }, 'websocket server error'));

  // A peer that has not answered the previous ping is dead: cut it (no bye; it cannot hear one).
  const heartbeat = setInterval(() => {
    for (const peer of peers) {
      if (!peer.alive) {
        peer.ws.terminate();
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
      wss.close();
    },
  };
}
