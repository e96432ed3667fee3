/**
 * The admin listener (loopback by default, its own port): GET /healthz and GET /metrics. They are kept
 * off the public chat port, and each remote address may make only so many requests a second: building
 * the metrics text costs real CPU, and a scraper gone wild must not take it from the chat.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Registry } from 'prom-client';

export interface AdminRoutes {
  registry: Registry;
  /** The /healthz body; `ok: false` answers 503. */
  health(): { ok: boolean; body: Record<string, unknown> };
}

export interface AdminRate {
  perSecond: number;
  burst: number;
}

/** A scraper every second or a health check every few is far below this; a loop hammering it is not. */
export const ADMIN_RATE: AdminRate = { perSecond: 20, burst: 40 };
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_CONNECTIONS = 64;
/** Addresses remembered at once; past it, those whose bucket has refilled are forgotten. */
const MAX_TRACKED_ADDRESSES = 4096;

export function createAdminServer(routes: AdminRoutes, rate: AdminRate = ADMIN_RATE): http.Server {
  const buckets = new AddressBuckets(rate);
  const server = http.createServer((req, res) => {
    if (!buckets.take(req.socket.remoteAddress ?? '')) {
      res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': '1' }).end('too many requests; slow down\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      const { ok, body } = routes.health();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    } else if (req.method === 'GET' && path === '/metrics') {
      routes.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': routes.registry.contentType }).end(text),
        () => res.writeHead(500).end('metrics failed\n'),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try GET /healthz or /metrics\n');
    }
  });
  server.headersTimeout = REQUEST_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.maxConnections = MAX_CONNECTIONS;
  return server;
}

/** A token bucket per remote address, on the monotonic clock. */
class AddressBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly rate: AdminRate) {}

  take(address: string): boolean {
    const now = performance.now();
    let bucket = this.buckets.get(address);
    if (!bucket) {
      if (this.buckets.size >= MAX_TRACKED_ADDRESSES) this.forgetRefilled(now);
      bucket = { tokens: this.rate.burst, at: now };
      this.buckets.set(address, bucket);
    }
    bucket.tokens = Math.min(this.rate.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.rate.perSecond);
    bucket.at = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private forgetRefilled(now: number): void {
    const full = (this.rate.burst / this.rate.perSecond) * 1000;
    for (const [address, bucket] of this.buckets) if (now - bucket.at >= full) this.buckets.delete(address);
    // Still full of busy addresses: start over rather than grow without bound.
    if (this.buckets.size >= MAX_TRACKED_ADDRESSES) this.buckets.clear();
  }
}
