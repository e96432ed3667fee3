/** Server addresses the client accepts: ws://, wss:// and tcp:// (NDJSON over plain TCP). */
import { DEFAULT_HOST, DEFAULT_WS_PORT } from '../../shared/index.js';

export type ServerAddress =
  | { kind: 'ws'; url: string }
  | { kind: 'tcp'; host: string; port: number };

export const DEFAULT_SERVER = `ws://${DEFAULT_HOST}:${DEFAULT_WS_PORT}`;

/** Parses `ws://host:port`, `wss://…`, `tcp://host:port`, or a bare `host:port` (WebSocket). */
export function parseServerAddress(text: string): ServerAddress | string {
  const withScheme = /^[a-z]+:\/\//i.test(text) ? text : `ws://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return `not a server address: ${text}`;
  }
  if (url.protocol === 'ws:' || url.protocol === 'wss:') return { kind: 'ws', url: url.href };
  if (url.protocol === 'tcp:') {
    const port = Number(url.port);
    if (!url.hostname || !Number.isInteger(port) || port <= 0) return `tcp:// needs a host and a port: ${text}`;
    return { kind: 'tcp', host: url.hostname.replace(/^\[|\]$/g, ''), port };
  }
  return `unsupported scheme ${url.protocol} (use ws:// or tcp://)`;
}

export function describeAddress(address: ServerAddress): string {
  return address.kind === 'ws' ? address.url.replace(/\/$/, '') : `tcp://${address.host}:${address.port}`;
}
