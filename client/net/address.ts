/** Server addresses the client accepts: ws://, wss://, tcp:// (NDJSON over TCP) and tls:// (the same over TLS). */
import { DEFAULT_HOST, DEFAULT_TCP_PORT, DEFAULT_WS_PORT } from '../../shared/index.js';

export type ServerAddress =
  | { kind: 'ws'; url: string }
  | { kind: 'tcp'; host: string; port: number; tls?: true };

export const DEFAULT_SERVER = `ws://${DEFAULT_HOST}:${DEFAULT_WS_PORT}`;

/**
 * Parses `ws://host:port`, `wss://…`, `tcp://host:port`, `tls://…`, or a bare `host:port` (WebSocket).
 * Without a port, ws:// (and a bare host) means the server's default 7878 and tcp:// and tls:// its 7879;
 * wss:// keeps 443, where a TLS proxy would listen.
 */
export function parseServerAddress(text: string): ServerAddress | string {
  const withScheme = /^[a-z]+:\/\//i.test(text) ? text : `ws://${text}`;
  // URL drops a port that is the scheme's default (ws://host:80), so look at the text itself.
  const hasPort = /^[a-z]+:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^/:?#]*):\d+/i.test(withScheme);
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return `not a server address: ${text}`;
  }
  if (url.protocol === 'ws:' || url.protocol === 'wss:') {
    if (!url.hostname) return `not a server address: ${text}`;
    if (url.protocol === 'ws:' && !hasPort) url.port = String(DEFAULT_WS_PORT);
    return { kind: 'ws', url: url.href };
  }
  if (url.protocol === 'tcp:' || url.protocol === 'tls:') {
    const port = hasPort ? Number(url.port) : DEFAULT_TCP_PORT;
    if (!url.hostname || !Number.isInteger(port) || port <= 0) return `${url.protocol}// needs a host: ${text}`;
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return url.protocol === 'tls:' ? { kind: 'tcp', host, port, tls: true } : { kind: 'tcp', host, port };
  }
  return `unsupported scheme ${url.protocol} (use ws://, wss://, tcp:// or tls://)`;
}

export function describeAddress(address: ServerAddress): string {
  if (address.kind === 'ws') return address.url.replace(/\/$/, '');
  return `${address.tls ? 'tls' : 'tcp'}://${address.host}:${address.port}`;
}
