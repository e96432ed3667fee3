/**
 * The IRC listener (--irc-port): plain or TLS, admitted like every other socket, each connection an
 * IrcPeer. Knows nothing of rooms.
 */
import net, { type Socket } from 'node:net';
import type { Admission, Ticket } from '../admission.js';
import { IrcPeer, type IrcSettings } from '../irc/irc-peer.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { admitSocket, refusalText } from './admission-gate.js';
import type { PeerHost } from './socket-peer.js';
import type { TlsTerminator } from './tls.js';
import { flatString } from '../ids.js';

export interface IrcTransportOptions {
  host: PeerHost;
  log: Logger;
  admission: Admission;
  metrics: Metrics;
  settings: IrcSettings;
  tls?: TlsTerminator;
}

function connection(socket: Socket, ticket: Ticket, opts: IrcTransportOptions): void {
  const remote = flatString(`${socket.remoteAddress}:${socket.remotePort}`);
  const peer = new IrcPeer(socket, remote, opts.host, opts.settings);
  peer.registration = ticket;
  peer.session = opts.host.hub.connect(peer);
  socket.setNoDelay(true);
  socket.on('error', (err) => opts.log.debug({ err, remote }, 'irc socket error'));
  socket.on('close', () => peer.gone());
  socket.on('data', (chunk: Buffer) => {
    if (peer.session) peer.push(chunk);
  });
}

export function createIrcServer(opts: IrcTransportOptions): net.Server {
  const server = opts.tls
    ? opts.tls.listener(opts.admission, (local) => `ERROR :This port speaks TLS; connect with TLS to ${local}\r\n`, (secure, ticket, settle) => {
      settle();
      connection(secure, ticket, opts);
    })
    : net.createServer({ keepAlive: true, keepAliveInitialDelay: 60_000 }, (socket) => {
      const ticket = admitSocket(socket, opts.admission, opts.metrics, (refusal) => `ERROR :Closing link: ${refusalText(refusal)}\r\n`);
      if (ticket) connection(socket, ticket, opts);
    });
  server.on('error', (err) => opts.log.error({ err }, 'irc server error'));
  return server;
}
