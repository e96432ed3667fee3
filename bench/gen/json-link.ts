/**
 * A protocol client that parses every message, for scenarios that follow state (seqs, errors, presence)
 * rather than count tokens: WebSocket through the ws package, or TCP JSON lines.
 */
import net from 'node:net';
import WebSocket from 'ws';
import { LineReader } from './line-reader.js';

export type Msg = Record<string, any> & { type: string };

export interface LinkHooks {
  open(): void;
  message(m: Msg): void;
  /** Once, however the link ends (error, reset, close); `opened` says whether it was ever open. */
  closed(opened: boolean, why: string): void;
}

export interface JsonLink {
  send(m: object): void;
  close(): void;
}

export function openLink(transport: 'ws' | 'tcp', port: number, hooks: LinkHooks): JsonLink {
  let opened = false;
  let ended = false;
  const end = (why: string) => {
    if (ended) return;
    ended = true;
    hooks.closed(opened, why);
  };
  const parse = (text: string) => {
    // A TCP client may get the text-mode banner before its hello: skip anything that is not an object.
    if (!text.startsWith('{')) return;
    try {
      hooks.message(JSON.parse(text) as Msg);
    } catch {
      // A malformed line is the server's bug, not this scenario's to judge; it shows as a missing reply.
    }
  };
  if (transport === 'ws') {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
    ws.on('open', () => { opened = true; hooks.open(); });
    ws.on('message', (d: Buffer) => parse(d.toString('utf8')));
    ws.on('error', (e) => end(`ws: ${e.message}`));
    ws.on('close', () => end('closed'));
    return {
      send: (m) => { if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m)); },
      close: () => ws.terminate(),
    };
  }
  const lines = new LineReader((line) => parse(line));
  const s = net.connect({ host: '127.0.0.1', port, noDelay: true });
  s.on('connect', () => { opened = true; hooks.open(); });
  s.on('data', (d: Buffer) => lines.push(d));
  s.on('error', (e) => end(`tcp: ${e.message}`));
  s.on('close', () => end('closed'));
  return {
    send: (m) => { if (!s.destroyed) s.write(JSON.stringify(m) + '\n'); },
    close: () => s.resetAndDestroy(),
  };
}
