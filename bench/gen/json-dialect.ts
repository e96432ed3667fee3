/** Our protocol (also spoken by the ws tutorial baseline): JSON objects, per frame or per line. */
import type { Dialect, SetupEvent } from './dialect.js';
import { makeToken } from './tokens.js';

/** Prefixes of broadcasts that set-up ignores, so an O(N²) join storm is not parsed N² times. */
const SKIP = ['{"type":"joined"', '{"type":"message"', '{"type":"left"', '{"type":"who"', '{"type":"history"'];

export const jsonDialect: Dialect = {
  echoesOwn: true,
  eol: '\n',
  register: (nick) => [JSON.stringify({ type: 'hello', nick, client: 'bench' })],
  // The pong to a ping sent after join proves the join was handled (one connection is served in order).
  join: (room, seq) => [
    JSON.stringify({ type: 'join', room }),
    JSON.stringify({ type: 'ping', ref: makeToken('P', seq) }),
  ],
  say: (room, text, ref) =>
    ref === null
      ? `{"type":"say","room":"${room}","text":"${text}"}`
      : `{"type":"say","room":"${room}","text":"${text}","ref":"${ref}"}`,
  classify(text: string): SetupEvent {
    for (const s of SKIP) if (text.startsWith(s)) return null;
    // The text banner a TCP client gets when its hello is late (docs/protocol.md, Plain TCP).
    if (!text.startsWith('{')) return null;
    let msg: { type?: unknown; code?: unknown; message?: unknown; reason?: unknown; ref?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return { kind: 'failed', reason: `unparsable: ${text.slice(0, 80)}` };
    }
    switch (msg.type) {
      case 'welcome':
        return { kind: 'registered' };
      case 'pong':
        return typeof msg.ref === 'string' && msg.ref.startsWith('$P') ? { kind: 'joined' } : null;
      case 'error':
        return { kind: 'failed', reason: `error ${String(msg.code)}: ${String(msg.message)}` };
      case 'bye':
        return { kind: 'failed', reason: `bye: ${String(msg.reason)}` };
      default:
        return null;
    }
  },
};
