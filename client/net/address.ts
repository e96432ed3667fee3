/** Server addresses the client accepts: ws://, wss:// and tcp:// (NDJSON over plain TCP). */
import { DEFAULT_HOST, DEFAULT_TCP_PORT, DEFAULT_WS_PORT } from '../../shared/index.js';

export type ServerAddress =
  | { kind: 'ws'; url: string }
  | { kind: 'tcp'; host: string; port: number };

export const DEFAULT_SERVER = `ws://${DEFAULT_HOST}:${DEFAULT_WS_PORT}`;

/**
 * Parses `ws://host:port`, `wss://…`, `tcp://host:port`, or a bare `host:port` (WebSocket). Without a
 * port, ws:// (and a bare host) means the server's default 7878 and tcp:// its 7879; wss:// keeps 443,
 * where a TLS proxy would listen.
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
  if (url.protocol === 'tcp:') {
    const port = hasPort ? Number(url.port) : DEFAULT_TCP_PORT;
    if (!url.hostname || !Number.isInteger(port) || port <= 0) return `tcp:// needs a host: ${text}`;
    return { kind: 'tcp', host: url.hostname.replace(/^\[|\]$/g, ''), port };
  }
  return `unsupported scheme ${url.protocol} (use ws:// or tcp://)`;
}

export function describeAddress(address: ServerAddress): string {
  return address.kind === 'ws' ? address.url.replace(/\/$/, '') : `tcp://${address.host}:${address.port}`;
}
