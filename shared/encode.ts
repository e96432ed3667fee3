import type { ClientMessage, ServerMessage } from './protocol.js';

/** One message as one JSON text: a WebSocket frame's payload, or a TCP line without its '\n'. */
export function encode(message: ServerMessage | ClientMessage): string {
  return JSON.stringify(message);
}

/** One message as an NDJSON line. */
export function encodeLine(message: ServerMessage | ClientMessage): string {
  return `${JSON.stringify(message)}\n`;
}
