/**
 * The WebSocket port's plain HTTP side. Only upgrades on / are served here; /healthz and /metrics are on
 * the admin listener (admin-http.ts), off the public port.
 */
import http from 'node:http';

export function createHttpServer(): http.Server {
  return http.createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try a WebSocket upgrade on /\n');
  });
}
