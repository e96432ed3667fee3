/**
 * One connection to the server, as text messages in and out. The WebSocket sends one JSON object per
 * frame; TCP sends one per line (the first byte is the '{' of hello, which selects JSON mode).
 */
import net from 'node:net';
import WebSocket from 'ws';
import { LineSplitter } from '../../shared/index.js';
import type { ServerAddress } from './address.js';

/** Server frames can be bigger than client frames (history pages); this only bounds memory. */
const MAX_INBOUND_BYTES = 16 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 5000;

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

export function openTransport(address: ServerAddress, events: TransportEvents): Transport {
  return address.kind === 'ws' ? openWebSocket(address.url, events) : openTcp(address.host, address.port, events);
}

function openWebSocket(url: string, events: TransportEvents): Transport {
  const ws = new WebSocket(url, { handshakeTimeout: CONNECT_TIMEOUT_MS, maxPayload: MAX_INBOUND_BYTES });
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
  ws.on('error', (err) => finish(err.message || 'connection error'));
  ws.on('close', (code, reason) => finish(reason.toString() || `closed (${code})`));
  return {
    send: (text) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
    },
    close: () => ws.close(1000),
    kill: () => ws.terminate(),
  };
}

function openTcp(host: string, port: number, events: TransportEvents): Transport {
  const socket = net.connect({ host, port });
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
  socket.on('connect', () => {
    clearTimeout(timer);
    events.onOpen();
  });
  socket.on('data', (chunk) => lines.push(chunk));
  socket.on('error', (err) => finish(err.message));
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
