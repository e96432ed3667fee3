/** Server messages as readable lines for nc/telnet users. Plain text: no colour, CRLF line ends; other users' text laid out by text-rows.ts. */
import { markInvisible } from '../../shared/invisible.js';
import type { ChatMessage, ServerMessage } from '../../shared/protocol.js';
import { withText } from './text-rows.js';

const EOL = '\r\n';

function clock(ts: number): string {
  const d = new Date(ts);
  return `[${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}]`;
}

/** A one-line field (topic, reason): U+2028/U+2029 become spaces (withText marks bidi and zero-width characters). */
function flat(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]/g, ' ');
}

/** A one-line field where no row is cut (error, bye: the user's own or the server's words). */
function oneLine(text: string): string {
  return markInvisible(flat(text));
}

/** Someone is away (and why), or back. */
function awayLine(nick: string, reason: string | undefined): string {
  return (reason === undefined ? `*** ${nick} is back` : withText(`*** ${nick} is away: `, flat(reason))) + EOL;
}

/** A found message can be old: its day goes with its time. */
function dayClock(ts: number): string {
  const d = new Date(ts);
  const two = (n: number) => String(n).padStart(2, '0');
  return `[${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}]`;
}

function chatLine(m: ChatMessage, time = clock(m.ts)): string {
  return withText(m.action ? `${time} ${m.room} * ${m.from} ` : `${time} ${m.room} <${m.from}> `, m.text);
}

export function renderText(m: ServerMessage): string {
  switch (m.type) {
    case 'welcome':
      return `*** Welcome, ${m.nick}!${m.account ? ' You are logged in.' : ''} You are on ${m.server} (protocol v${m.version}). Type /help for commands.${EOL}`
        + (m.motd ? `${withText('*** ', m.motd)}${EOL}` : '');
    case 'joined': return `${clock(m.ts)} ${m.room} -> ${m.nick} joined${EOL}`;
    case 'left': {
      const head = `${clock(Date.now())} ${m.room} <- ${m.nick} left`;
      return `${m.reason ? withText(`${head} (`, `${flat(m.reason)})`) : head}${EOL}`;
    }
    case 'message': return chatLine(m) + EOL;
    case 'ack': return '';
    // Read markers are for clients that count unread messages; the text mode counts none.
    case 'read': return '';
    case 'dm': return withText(`${clock(m.ts)} [${m.from} -> ${m.to}] ${m.action ? `* ${m.from} ` : ''}`, m.text) + EOL
      + (m.away !== undefined ? awayLine(m.to, m.away) : '');
    case 'nick': return `*** ${m.old} is now known as ${m.new}${EOL}`;
    case 'topic': return withText(`${clock(m.ts)} ${m.room} topic set by ${m.by}: `, flat(m.topic)) + EOL;
    case 'history': {
      if (m.messages.length === 0) return `*** ${m.room}: no earlier messages${EOL}`;
      const head = `--- ${m.room}: ${m.messages.length} earlier message(s)${m.more ? ', more with /history' : ''} ---`;
      return [head, ...m.messages.map((x) => chatLine(x)), `--- end of history ---`].join(EOL) + EOL;
    }
    case 'search': {
      const query = oneLine(m.query);
      if (m.messages.length === 0) return `*** ${m.room}: no message matches "${query}"${EOL}`;
      const head = `--- ${m.room}: ${m.messages.length} message(s) matching "${query}" ---`;
      const tail = m.more ? `--- older matches: /search ${m.room} before:${m.messages[0]!.seq} ${query} ---` : '--- end of matches ---';
      return [head, ...m.messages.map((x) => chatLine(x, dayClock(x.ts))), tail].join(EOL) + EOL;
    }
    case 'rooms':
      return [`*** ${m.rooms.length} room(s):`, ...m.rooms.map((r) => (r.topic ? withText(`  ${r.name} (${r.users}) `, flat(r.topic)) : `  ${r.name} (${r.users})`))]
        .join(EOL) + EOL;
    case 'who': return `*** ${m.room} (${m.total}): ${m.users.join(' ')}${m.users.length < m.total ? ' …' : ''}${m.away ? `; away: ${m.away.join(' ')}` : ''}${EOL}`;
    case 'pong': return `*** pong${EOL}`;
    case 'located': return m.seq === undefined ? `*** ${m.room}: no such message${EOL}` : `*** ${m.room}: message ${m.seq}${EOL}`;
    case 'error': return `!!! ${m.code}: ${oneLine(m.message)}${EOL}`;
    case 'bye': return `*** bye: ${oneLine(m.reason)}${EOL}`;
    case 'account': return m.account ? `*** You are logged in as ${m.account}${EOL}` : `*** You are not logged in (a guest)${EOL}`;
    case 'notice': return `*** ${oneLine(m.text)}${EOL}`;
    case 'moderation': return withText(`${clock(m.ts)} ${m.room} ${m.by}: ${m.action} ${m.detail}`, m.reason ? ` (${flat(m.reason)})` : '') + EOL;
    // The moderation line that comes with them says it already.
    case 'role': case 'settings': return '';
    case 'invited': return `*** ${m.by} invites you to ${m.room}: /join ${m.room}${EOL}`;
    case 'away': return awayLine(m.nick, m.reason);
    case 'login': return `*** ${m.nick} ${m.account ? `is logged in as ${m.account}` : 'logged out'}${EOL}`;
    case 'whois':
      return (m.away !== undefined ? withText(`*** ${m.nick} ${m.account ? `is logged in as ${m.account}` : 'is a guest'}; away: `, flat(m.away))
        : `*** ${m.nick} ${m.account ? `is logged in as ${m.account}` : 'is a guest'}`) + EOL;
    case 'stats':
      return `*** ${m.users} user(s) in ${m.rooms} room(s) on ${m.servers} server(s); ${m.localUsers} on this one (at most ${m.maxLocalUsers}), ${m.operators} server operator(s) online${EOL}`;
    case 'bans':
      return [`*** ${m.bans.length} ban(s) in ${m.room ?? 'the server'}:`, ...m.bans.map((b) => `  ${b.mask} by ${b.by}${b.reason ? `: ${oneLine(b.reason)}` : ''}${b.expires ? ` (until ${new Date(b.expires).toISOString()})` : ''}`)]
        .join(EOL) + EOL;
  }
}
