/**
 * One connection to the server, as text messages in and out. The WebSocket sends one JSON object per
 * frame; TCP sends one per line (the first byte is the '{' of hello, which selects JSON mode). wss://
 * and tls:// verify the server's certificate against Node's CAs, and a private CA if one is given.
 */
import net from 'node:net';
import tls from 'node:tls';
import WebSocket from 'ws';
import { LineSplitter } from '../../shared/index.js';
import type { ServerAddress } from './address.js';
import { connectionFailure } from './tls-failure.js';

/** Server frames can be bigger than client frames (history pages); this only bounds memory. */
const MAX_INBOUND_BYTES = 16 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 5000;
/** How much of an HTTP error page is kept in the failure reason. */
const MAX_ERROR_BODY = 300;

export interface TransportOptions {
  /** A private CA (PEM) trusted besides Node's own. */
  ca?: string;
}

export interface TransportEvents {
  onOpen(): void;
  onText(text: string): void;
  /** Called once, whether the connection failed, was closed by either side, or never opened. */
  onClose(reason: string): void;
}

export interface Transport {
  send(text: string): void;
  /** Closes gracefully; `onClose` follows. */
  close(): void;
  /** Drops the connection at once (a dead peer); `onClose` follows. */
  kill(): void;
}

export function openTransport(address: ServerAddress, events: TransportEvents, options: TransportOptions = {}): Transport {
  const ca = options.ca === undefined ? undefined : [...tls.rootCertificates, options.ca];
  return address.kind === 'ws' ? openWebSocket(address.url, events, ca) : openTcp(address, events, ca);
}

function openWebSocket(url: string, events: TransportEvents, ca: string[] | undefined): Transport {
  const ws = new WebSocket(url, { handshakeTimeout: CONNECT_TIMEOUT_MS, maxPayload: MAX_INBOUND_BYTES, ...(ca ? { ca } : {}) });
  let closed = false;
  const finish = (reason: string) => {
    if (closed) return;
    closed = true;
    events.onClose(reason);
  };
  ws.on('open', () => events.onOpen());
  ws.on('message', (data, isBinary) => {
    if (!isBinary) events.onText(data.toString());
  });
  // Not a WebSocket answer: keep the start of the page, which may say why (429, or a TLS-only port).
  ws.on('unexpected-response', (_req, res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      body = (body + chunk).slice(0, MAX_ERROR_BODY);
    });
    res.on('end', () => {
      const page = body.replace(/\s+/g, ' ').trim();
      finish(`Unexpected server response: ${res.statusCode}${page ? ` (${page})` : ''}`);
      ws.terminate();
    });
  });
  ws.on('error', (err) => finish(connectionFailure(err)));
  ws.on('close', (code, reason) => finish(reason.toString() || `closed (${code})`));
  return {
    send: (text) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
    },
    close: () => ws.close(1000),
    kill: () => ws.terminate(),
  };
}

function openTcp(address: ServerAddress & { kind: 'tcp' }, events: TransportEvents, ca: string[] | undefined): Transport {
  const { host, port } = address;
  const socket = address.tls
    ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ...(ca ? { ca } : {}) })
    : net.connect({ host, port });
  let closed = false;
  const finish = (reason: string) => {
    if (closed) return;
    closed = true;
    socket.destroy();
    events.onClose(reason);
  };
  const timer = setTimeout(() => finish('connect timeout'), CONNECT_TIMEOUT_MS);
  const lines = new LineSplitter(MAX_INBOUND_BYTES, (line) => events.onText(line.toString('utf8')), () => {
    finish('server sent an over-long line');
  });
  socket.setNoDelay(true);
  socket.on(address.tls ? 'secureConnect' : 'connect', () => {
    clearTimeout(timer);
    events.onOpen();
  });
  socket.on('data', (chunk: Buffer) => lines.push(chunk));
  socket.on('error', (err) => finish(connectionFailure(err)));
  socket.on('close', () => {
    clearTimeout(timer);
    finish('connection closed');
  });
  return {
    send: (text) => {
      if (!closed && !socket.destroyed) socket.write(`${text}\n`);
    },
    close: () => socket.end(),
    kill: () => finish('connection dropped'),
  };
}
