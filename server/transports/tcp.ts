/**
 * Plain TCP transport. The first byte decides the mode: `{` means JSON lines (one message per line),
 * anything else is the human text mode. A silent client is shown the text banner after a moment, since
 * a person with nc waits to be greeted while a program speaks first (so a JSON client that waits should
 * skip lines before `welcome` that are not JSON). Knows nothing of rooms.
 */
import net, { type Socket } from 'node:net';
import { isUtf8 } from 'node:buffer';
import { ErrorCode } from '../../shared/errors.js';
import { MAX_FRAME_BYTES } from '../../shared/limits.js';
import { LineSplitter } from '../../shared/lines.js';
import type { Dispatcher } from '../dispatch.js';
import type { Logger } from '../log.js';
import type { Outgoing } from '../outgoing.js';
import { CLOSE_GRACE_MS, SocketPeer, type PeerHost } from './socket-peer.js';
import { banner, TextPeer } from './text-mode.js';

const BANNER_DELAY_MS = 500;

class JsonLinePeer extends SocketPeer {
  private readonly splitter: LineSplitter;

  constructor(socket: Socket, remote: string, host: PeerHost, dispatcher: Dispatcher) {
    super('tcp-json', remote, socket, host);
    this.splitter = new LineSplitter(
      MAX_FRAME_BYTES,
      (line) => {
        const session = this.session;
        if (!session || line.length === 0) return;
        if (!isUtf8(line)) return dispatcher.refuse(session, ErrorCode.BAD_ENCODING, 'line is not valid UTF-8');
        dispatcher.receiveRaw(session, line.toString('utf8'));
      },
      () => this.session && dispatcher.refuse(this.session, ErrorCode.TOO_LARGE, `line is over ${MAX_FRAME_BYTES} bytes`),
    );
  }

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  protected encode(out: Outgoing): Buffer {
    return out.line;
  }
}

export interface TcpTransportOptions {
  host: PeerHost;
  dispatcher: Dispatcher;
  log: Logger;
  serverName: string;
  registrationTimeoutMs: number;
}

export interface TcpTransport {
  server: net.Server;
  /** Sends `bye{reason}` to, and closes, every connection that has not sent its first byte yet. */
  dismissUndecided(reason: string): void;
}

export function createTcpServer(opts: TcpTransportOptions): TcpTransport {
  const { host, dispatcher, log } = opts;
  // Connections whose first byte has not come yet: they have no session, so the hub cannot bye them.
  const undecided = new Map<Socket, (reason: string) => void>();
  const server = net.createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 }, (socket) => {
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    let peer: JsonLinePeer | TextPeer | null = null;
    let greeted = false;
    const greet = () => {
      if (!greeted) socket.write(banner(opts.serverName));
      greeted = true;
    };
    const bannerTimer = setTimeout(greet, BANNER_DELAY_MS);
    // Until the first byte there is no session; a socket that never speaks is closed here.
    let dismissed = false;
    const dismiss = (reason: string) => {
      undecided.delete(socket);
      clearTimeout(bannerTimer);
      clearTimeout(silenceTimer);
      dismissed = true;
      socket.end(greeted ? `*** bye: ${reason}\r\n` : `${JSON.stringify({ type: 'bye', reason })}\n`);
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    };
    const silenceTimer = setTimeout(() => dismiss('registration timeout'), opts.registrationTimeoutMs);
    undecided.set(socket, dismiss);

    socket.on('error', (err) => log.debug({ err, remote }, 'tcp socket error'));
    socket.on('close', () => {
      undecided.delete(socket);
      clearTimeout(bannerTimer);
      clearTimeout(silenceTimer);
      peer?.gone();
    });
    socket.on('data', (chunk: Buffer) => {
      if (dismissed) return;
      if (!peer) {
        undecided.delete(socket);
        clearTimeout(bannerTimer);
        clearTimeout(silenceTimer);
        if (chunk[0] === 0x7b) {
          // A slow JSON client may have been greeted already: end the prompt's line so JSON starts a fresh one.
          if (greeted) socket.write('\n');
          peer = new JsonLinePeer(socket, remote, host, dispatcher);
        } else {
          greet();
          peer = new TextPeer(socket, remote, host, dispatcher);
        }
        peer.session = host.hub.connect(peer);
      }
      if (peer.session) peer.push(chunk);
    });
  });
  server.on('error', (err) => log.error({ err }, 'tcp server error'));
  return {
    server,
    dismissUndecided(reason) {
      for (const dismiss of [...undecided.values()]) dismiss(reason);
    },
  };
}
