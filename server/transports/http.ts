/** The WebSocket port's plain HTTP side: GET /healthz and GET /metrics. */
import http from 'node:http';
import type { Registry } from 'prom-client';

export interface HttpRoutes {
  registry: Registry;
  health(): Record<string, unknown>;
}

export function createHttpServer(routes: HttpRoutes): http.Server {
  return http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', ...routes.health() }));
    } else if (req.method === 'GET' && path === '/metrics') {
      routes.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': routes.registry.contentType }).end(text),
        () => res.writeHead(500).end('metrics failed\n'),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try a WebSocket upgrade on /, or GET /healthz, /metrics\n');
    }
  });
}
