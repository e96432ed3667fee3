/**
 * Where the listeners meet admission: every accepted socket is admitted (and counted until it closes)
 * or answered in its transport's words and closed at once. Also keeps slow or partial HTTP requests
 * from holding a socket for longer than the handshake timeout.
 */
import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { ErrorCode } from '../../shared/errors.js';
import type { Admission, Refusal, Ticket } from '../admission.js';
import type { Metrics } from '../metrics.js';
import { REFUSALS_IN_FLIGHT } from '../open-files.js';

/** How long a refused socket may take to read its answer before it is cut. */
const REFUSE_GRACE_MS = 1000;

const tickets = new WeakMap<Socket, Ticket>();
const refusedSockets = new WeakSet<Socket>();
let answering = 0;

const MESSAGES: Record<Exclude<Refusal, 'total'>, string> = {
  banned: 'your address is banned from this server',
  rate: 'too many new connections from your address; wait a moment and try again',
  address: 'too many connections from your address',
  unregistered: 'too many connections from your address have not said hello yet',
};
export const PER_ADDRESS_BYE = 'too many connections from your address';
const SERVER_FULL = 'the server is full; try again later';

/** A refusal as TCP JSON lines: an error, then bye. */
export function refusalLines(refusal: Refusal): string {
  const [error, bye] = refusal === 'total'
    ? [{ type: 'error', code: ErrorCode.SERVER_FULL, message: SERVER_FULL }, { type: 'bye', reason: 'server full' }]
    : refusal === 'banned'
      ? [{ type: 'error', code: ErrorCode.BANNED, message: MESSAGES.banned }, { type: 'bye', reason: 'banned' }]
      : [{ type: 'error', code: ErrorCode.TOO_MANY_CONNECTIONS, message: MESSAGES[refusal] }, { type: 'bye', reason: PER_ADDRESS_BYE }];
  return `${JSON.stringify(error)}\n${JSON.stringify(bye)}\n`;
}

/** Why the socket was refused, in words (for a transport that says it its own way: IRC's ERROR). */
export function refusalText(refusal: Refusal): string {
  return refusal === 'total' ? SERVER_FULL : MESSAGES[refusal];
}

/** A refusal as an HTTP response: 403 for a banned address, 429 for a busy one, 503 when the server is full. */
export function refusalResponse(refusal: Refusal): string {
  const [status, body] = refusal === 'total' ? ['503 Service Unavailable', SERVER_FULL]
    : refusal === 'banned' ? ['403 Forbidden', MESSAGES.banned] : ['429 Too Many Requests', MESSAGES[refusal]];
  return `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${body.length + 1}\r\n\r\n${body}\n`;
}

/**
 * Admits a newly accepted socket, whose ticket is then released when it closes; or writes `answer`,
 * closes it and returns null. Past REFUSALS_IN_FLIGHT answers still being read, refused sockets are
 * dropped without one, so refusing cannot use up the descriptors kept for it.
 */
export function admitSocket(socket: Socket, admission: Admission, metrics: Metrics, answer: (refusal: Refusal) => string | Buffer): Ticket | null {
  const address = socket.remoteAddress;
  if (address === undefined) {
    // Reset before we got to it.
    socket.destroy();
    return null;
  }
  const verdict = admission.admit(address);
  if (typeof verdict !== 'string') {
    tickets.set(socket, verdict);
    // `on`, not `once`: a shared listener costs nothing per socket, a `once` wrapper ~200 bytes (release is idempotent).
    socket.on('close', releaseTicket);
    return verdict;
  }
  metrics.connectionsRefused.inc({ reason: verdict });
  refusedSockets.add(socket);
  socket.on('error', ignore);
  if (answering >= REFUSALS_IN_FLIGHT) {
    socket.destroy();
    return null;
  }
  answering++;
  socket.once('close', answered);
  socket.end(answer(verdict));
  // Read and discard what the peer sent: closing with unread input would reset the answer away.
  socket.resume();
  setTimeout(cutRefused, REFUSE_GRACE_MS, socket).unref();
  return null;
}

/** The admission ticket of an admitted socket (an HTTP socket being upgraded, say). */
export function ticketOf(socket: Socket): Ticket | null {
  return tickets.get(socket) ?? null;
}

/** The TLS socket made over an admitted socket holds its ticket too (released when either closes). */
export function carryTicket(raw: Socket, secure: Socket): void {
  const ticket = tickets.get(raw);
  if (ticket) tickets.set(secure, ticket);
}

/** Whether the socket was refused and is being answered (an upgrade on it must be ignored). */
export function isRefused(socket: Socket): boolean {
  return refusedSockets.has(socket);
}

/**
 * Admits every socket of the plain WebSocket/HTTP port (refusals get 429 or 503), and cuts requests whose
 * headers or whole request take longer than `handshakeTimeoutMs`, silent sockets included (Node's own
 * defaults let a slowloris hold a socket for a minute or more). Over TLS the TLS listener does both.
 */
export function guardHttpServer(server: HttpServer, admission: Admission, metrics: Metrics, handshakeTimeoutMs: number): void {
  server.headersTimeout = handshakeTimeoutMs;
  server.requestTimeout = handshakeTimeoutMs;
  // How often Node looks for expired requests (30 s by default); read when the server starts listening.
  (server as HttpServer & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(1000, Math.ceil(handshakeTimeoutMs / 4));
  // Before the HTTP server's own listener, so a refused socket is answered before anything else.
  server.prependListener('connection', (socket: Socket) => {
    admitSocket(socket, admission, metrics, refusalResponse);
  });
}

function releaseTicket(this: Socket): void {
  tickets.get(this)?.release();
}

function answered(): void {
  answering--;
}

function cutRefused(socket: Socket): void {
  socket.destroy();
}

function ignore(): void {}
