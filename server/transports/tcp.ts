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
import type { Admission, Ticket } from '../admission.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Outgoing } from '../outgoing.js';
import type { Session } from '../session.js';
import { admitSocket, refusalLines } from './admission-gate.js';
import { CLOSE_GRACE_MS, SocketPeer, type PeerHost, type Refusal } from './socket-peer.js';
import { banner, TextPeer } from './text-mode.js';
import type { TlsTerminator } from './tls.js';
import { flatString } from '../ids.js';

const BANNER_DELAY_MS = 500;

const OVERSIZE: Refusal = { refused: ErrorCode.TOO_LARGE, message: `line is over ${MAX_FRAME_BYTES} bytes` };

class JsonLinePeer extends SocketPeer {
  private readonly splitter: LineSplitter;

  constructor(socket: Socket, remote: string, host: PeerHost) {
    super('tcp-json', remote, socket, host);
    // Empty lines are skipped here, their bytes already charged in push().
    this.splitter = new LineSplitter(MAX_FRAME_BYTES, (line) => line.length > 0 && this.input(line), () => this.input(OVERSIZE));
  }

  push(chunk: Buffer): void {
    this.charge(chunk.length);
    this.splitter.push(chunk);
  }

  protected handleInput(session: Session, line: Buffer): void | Promise<void> {
    const { dispatcher } = this.host;
    if (!isUtf8(line)) return dispatcher.refuse(session, ErrorCode.BAD_ENCODING, 'line is not valid UTF-8');
    return dispatcher.receiveRaw(session, line.toString('utf8'));
  }

  protected encode(out: Outgoing): Buffer {
    return out.line;
  }
}

export interface TcpTransportOptions {
  host: PeerHost;
  log: Logger;
  serverName: string;
  registrationTimeoutMs: number;
  admission: Admission;
  metrics: Metrics;
  /** A socket that has sent nothing this long is closed, if others from its address wait too (see Admission.crowded). */
  handshakeTimeoutMs: number;
  /** Serve TLS: the mode is then chosen by the first byte after the handshake. */
  tls?: TlsTerminator;
}

export interface TcpTransport {
  server: net.Server;
  /** Sends `bye{reason}` to, and closes, every connection that has not sent its first byte yet. */
  dismissUndecided(reason: string): void;
}

/** A TCP connection until its first byte picks the mode; then its peer does the work. */
class TcpConnection {
  private readonly remote: string;
  private peer: JsonLinePeer | TextPeer | null = null;
  private greeted = false;
  private dismissed = false;
  // Both go at the first byte, so a registered connection holds neither timer nor its callback.
  private bannerTimer: NodeJS.Timeout | null;
  private silenceTimer: NodeJS.Timeout | null;

  constructor(
    private readonly socket: Socket,
    private readonly opts: TcpTransportOptions,
    private readonly undecided: Set<TcpConnection>,
    private readonly ticket: Ticket,
  ) {
    this.remote = flatString(`${socket.remoteAddress}:${socket.remotePort}`);
    this.bannerTimer = setTimeout(() => this.greet(), BANNER_DELAY_MS);
    // Until the first byte there is no session; a socket that never speaks is closed here.
    const { handshakeTimeoutMs, registrationTimeoutMs } = opts;
    this.silenceTimer = handshakeTimeoutMs < registrationTimeoutMs
      ? setTimeout(() => this.stillSilent(), handshakeTimeoutMs)
      : setTimeout(() => this.dismiss('registration timeout'), registrationTimeoutMs);
    undecided.add(this);
    socket.on('error', (err) => opts.log.debug({ err, remote: this.remote }, 'tcp socket error'));
    socket.on('close', () => {
      this.decided();
      this.peer?.gone();
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  /** Sends `bye{reason}` in the form the client would read, and closes. */
  dismiss(reason: string): void {
    this.decided();
    this.dismissed = true;
    this.socket.end(this.greeted ? `*** bye: ${reason}\r\n` : `${JSON.stringify({ type: 'bye', reason })}\n`);
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  /**
   * Silent for the handshake timeout: cut if its address has others waiting or the server is half full.
   * A lone socket may be a person reading the banner or typing a nick (nc and telnet send nothing
   * before Enter), so it keeps the rest of the registration timeout.
   */
  private stillSilent(): void {
    if (this.opts.admission.crowded(this.ticket)) return this.dismiss('handshake timeout');
    const rest = this.opts.registrationTimeoutMs - this.opts.handshakeTimeoutMs;
    this.silenceTimer = setTimeout(() => this.dismiss('registration timeout'), rest);
  }

  private greet(): void {
    if (!this.greeted) this.socket.write(banner(this.opts.serverName));
    this.greeted = true;
  }

  private onData(chunk: Buffer): void {
    if (this.dismissed) return;
    let peer = this.peer;
    if (!peer) {
      this.decided();
      const { host } = this.opts;
      if (chunk[0] === 0x7b) {
        // A slow JSON client may have been greeted already: end the prompt's line so JSON starts a fresh one.
        if (this.greeted) this.socket.write('\n');
        peer = new JsonLinePeer(this.socket, this.remote, host);
      } else {
        this.greet();
        peer = new TextPeer(this.socket, this.remote, host);
      }
      this.peer = peer;
      peer.registration = this.ticket;
      peer.session = host.hub.connect(peer);
    }
    if (peer.session) peer.push(chunk);
  }

  private decided(): void {
    this.undecided.delete(this);
    if (this.bannerTimer) clearTimeout(this.bannerTimer);
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.bannerTimer = this.silenceTimer = null;
  }
}

function plainOnTls(local: string): string {
  return `error: this port speaks TLS; connect with tls://${local}\r\n`;
}

export function createTcpServer(opts: TcpTransportOptions): TcpTransport {
  // Connections whose first byte has not come yet: they have no session, so the hub cannot bye them.
  const undecided = new Set<TcpConnection>();
  const server = opts.tls
    ? opts.tls.listener(opts.admission, plainOnTls, (secure, ticket, settle) => {
      settle();
      new TcpConnection(secure, opts, undecided, ticket);
    })
    : net.createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 }, (socket) => {
      const ticket = admitSocket(socket, opts.admission, opts.metrics, refusalLines);
      if (ticket) new TcpConnection(socket, opts, undecided, ticket);
    });
  server.on('error', (err) => opts.log.error({ err }, 'tcp server error'));
  return {
    server,
    dismissUndecided(reason) {
      for (const connection of [...undecided]) connection.dismiss(reason);
    },
  };
}
