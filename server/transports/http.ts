/**
 * The WebSocket port's plain HTTP side. Only upgrades on / are served here; /healthz and /metrics are on
 * the admin listener (admin-http.ts), off the public port.
 */
import http from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';
import type { Admission } from '../admission.js';
import type { TlsTerminator } from './tls.js';

export function createHttpServer(): http.Server {
  return http.createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try a WebSocket upgrade on /\n');
  });
}

/**
 * The WebSocket port over TLS: `server` does not listen itself but is handed each secured socket. The
 * deadline that bounded the handshake runs on until the WebSocket upgrade request has arrived.
 */
export function httpsListener(server: http.Server, tls: TlsTerminator, admission: Admission): NetServer {
  const settles = new WeakMap<Socket, () => void>();
  server.on('upgrade', (_req, socket: Socket) => {
    settles.get(socket)?.();
    settles.delete(socket);
  });
  return tls.listener(admission, plainOnTls, (secure, _ticket, settle) => {
    settles.set(secure, settle);
    server.emit('connection', secure);
  });
}

function plainOnTls(local: string): string {
  const body = `this port speaks TLS: use https://${local}/ or wss://${local}/\n`;
  return `HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
}
