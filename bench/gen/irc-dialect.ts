/** IRC for ngIRCd: NICK/USER, JOIN (done at 366 end of NAMES), PRIVMSG, PONG. */
import type { Dialect, SetupEvent } from './dialect.js';

export const ircDialect: Dialect = {
  echoesOwn: false,
  eol: '\r\n',
  register: (nick) => [`NICK ${nick}`, `USER b 0 * :bench`],
  join: (room) => [`JOIN ${room}`],
  say: (room, text) => `PRIVMSG ${room} :${text}`,
  classify(line: string): SetupEvent {
    if (line.startsWith('PING ')) return { kind: 'reply', text: `PONG ${line.slice(5)}` };
    if (line.startsWith('ERROR')) return { kind: 'failed', reason: line.slice(0, 120) };
    const m = /^:\S+ (\d{3}) /.exec(line);
    if (!m) return null;
    const code = Number(m[1]);
    if (code === 1) return { kind: 'registered' };
    if (code === 366) return { kind: 'joined' };
    // 4xx/5xx are errors; 400-599 except harmless ones such as 422 (no MOTD).
    if (code >= 400 && code < 600 && code !== 422) return { kind: 'failed', reason: line.slice(0, 120) };
    return null;
  },
};
