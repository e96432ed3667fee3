/**
 * IRC commands, one handler each (ergo's layout): registration (CAP, PASS, NICK, USER, AUTHENTICATE)
 * and the everyday commands, each turned into our protocol's requests, whose answers the peer renders
 * in IRC's words. A handler that makes requests returns their promise: the connection's next line waits.
 */
import { HISTORY_PAGE_MAX, REASON_MAX } from '../../shared/limits.js';
import { caseFold } from '../../shared/validate.js';
import type { ChatMessage, ClientMessage, ServerMessage } from '../../shared/protocol.js';
import { roomFromChannel } from './casemap.js';
import { readIncomingText, stripFormatting } from './format.js';
import { CAPABILITIES, type Awaiting } from './irc-state.js';
import type { IrcMessage, ParsedMessage } from './message.js';
import { numeric, standardReply, type NumericName, type StandardReplyCode } from './numerics.js';
import { historyLines, inBatch, topicReply } from './irc-render.js';

/** What a command handler may do with its connection. */
export interface IrcConnection {
  readonly server: string;
  readonly state: import('./irc-state.js').IrcState;
  /** The rooms our user is in, by name. */
  rooms(): readonly string[];
  reply(lines: readonly IrcMessage[]): void;
  /** Sends `message` to our hub and resolves once its answer (as `how.done` says, or an error) has gone out. */
  request(message: ClientMessage, how: Omit<Awaiting, 'ref'>): Promise<ServerMessage | null>;
  /**
   * Like `request`, but the next line need not wait for the answer (a message's ack): messages are sent
   * on while earlier ones commit, and their answers still go out in order. Falls back to `request`
   * where it cannot (a labelled line).
   */
  post(message: ClientMessage, how: Omit<Awaiting, 'ref'>): void | Promise<unknown>;
  /** A fresh batch reference. */
  batchId(): string;
  /** Registration is complete (NICK, USER, no CAP negotiation open): hello, or the burst after SASL. */
  register(): void | Promise<unknown>;
  welcomeBurst(): void;
  motd(): IrcMessage[];
}

export interface IrcCommand {
  /** Allowed before registration completes. */
  preRegistration?: boolean;
  /** The fewest parameters it needs (fewer: 461). */
  params?: number;
  handle(irc: IrcConnection, m: ParsedMessage): void | Promise<unknown>;
}

const n = (irc: IrcConnection, name: NumericName, ...params: string[]): IrcMessage => numeric(irc.server, irc.state.nick, name, ...params);

const answeredBy = (type: ServerMessage['type'], room: string) => (m: ServerMessage) =>
  m.type === type && 'room' in m && m.room !== undefined && caseFold(m.room) === caseFold(room);

const CAP: IrcCommand = {
  preRegistration: true,
  params: 1,
  handle(irc, m) {
    const { state } = irc;
    const sub = m.params[0]!.toUpperCase();
    const nick = state.nick ?? '*';
    const cap = (...params: string[]): IrcMessage => ({ source: irc.server, verb: 'CAP', params: [nick, ...params] });
    switch (sub) {
      case 'LS': {
        if (!state.welcomed) state.negotiating = true;
        state.capVersion = Math.max(state.capVersion, Number(m.params[1] ?? 0) || 0);
        if (state.capVersion >= 302) state.setCap('cap-notify', true);
        const list = [...CAPABILITIES].map(([name, value]) => (value && state.capVersion >= 302 ? `${name}=${value}` : name));
        return irc.reply([cap('LS', list.join(' '))]);
      }
      case 'LIST':
        return irc.reply([cap('LIST', [...state.caps].join(' '))]);
      case 'REQ': {
        if (!state.welcomed) state.negotiating = true;
        const asked = (m.params[1] ?? '').split(' ').filter(Boolean);
        const known = asked.every((c) => CAPABILITIES.has(c.replace(/^-/, '')));
        if (!known || asked.length === 0) return irc.reply([cap('NAK', m.params[1] ?? '')]);
        for (const c of asked) {
          if (c.startsWith('-')) state.setCap(c.slice(1), false);
          else state.setCap(c, true);
        }
        return irc.reply([cap('ACK', m.params[1]!)]);
      }
      case 'END':
        if (state.welcomed) return;
        state.negotiating = false;
        return irc.register();
      default:
        return irc.reply([n(irc, 'ERR_INVALIDCAPCMD', sub)]);
    }
  },
};

const PASS: IrcCommand = {
  preRegistration: true,
  params: 1,
  handle(irc, m) {
    if (irc.state.welcomed) return irc.reply([n(irc, 'ERR_ALREADYREGISTERED')]);
    irc.state.pass = m.params[0]!;
  },
};

const NICK: IrcCommand = {
  preRegistration: true,
  handle(irc, m) {
    const wanted = m.params[0];
    if (!wanted) return irc.reply([n(irc, 'ERR_NONICKNAMEGIVEN')]);
    if (!irc.state.helloDone) {
      irc.state.wantedNick = wanted;
      return irc.register();
    }
    if (!irc.state.welcomed) return; // logged in through SASL: the account's nick it is
    const me = irc.state.nick!;
    return irc.request({ type: 'nick', nick: wanted }, {
      verb: 'NICK', target: wanted, quiet: false,
      done: (a) => a.type === 'nick' && caseFold(a.old) === caseFold(me),
    });
  },
};

const USER: IrcCommand = {
  preRegistration: true,
  params: 4,
  handle(irc, m) {
    if (irc.state.welcomed || irc.state.user !== null) return irc.reply([n(irc, 'ERR_ALREADYREGISTERED')]);
    irc.state.user = m.params[0]!;
    return irc.register();
  },
};

/** SASL PLAIN: base64 of `authzid \0 authcid \0 password`, in chunks of 400 (a full chunk means more follow). */
const AUTHENTICATE: IrcCommand = {
  preRegistration: true,
  params: 1,
  handle(irc, m) {
    const { state } = irc;
    const arg = m.params[0]!;
    if (state.helloDone) return irc.reply([n(irc, 'ERR_SASLALREADY')]);
    if (arg === '*') {
      state.sasl = null;
      return irc.reply([n(irc, 'ERR_SASLABORTED')]);
    }
    if (state.sasl === null) {
      if (arg.toUpperCase() !== 'PLAIN') return irc.reply([n(irc, 'RPL_SASLMECHS', 'PLAIN'), n(irc, 'ERR_SASLFAIL')]);
      state.sasl = [];
      return irc.reply([{ verb: 'AUTHENTICATE', params: ['+'] }]);
    }
    if (arg !== '+') state.sasl.push(arg);
    if (state.sasl.join('').length > 4096) {
      state.sasl = null;
      return irc.reply([n(irc, 'ERR_SASLTOOLONG')]);
    }
    if (arg.length === 400) return;
    const parts = Buffer.from(state.sasl.join(''), 'base64').toString('utf8').split('\0');
    state.sasl = null;
    if (parts.length !== 3 || !parts[1] || !parts[2]) return irc.reply([n(irc, 'ERR_SASLFAIL')]);
    const [, account, password] = parts as [string, string, string];
    return irc.request({ type: 'hello', nick: account, password, lobby: false, client: 'irc' }, {
      verb: 'AUTHENTICATE', target: account, quiet: false,
      done: (a) => a.type === 'welcome',
    });
  },
};

const PING: IrcCommand = {
  preRegistration: true,
  params: 1,
  handle(irc, m) {
    // Through the hub, like any request: it is answered after everything asked before it.
    if (!irc.state.helloDone) return irc.reply([{ source: irc.server, verb: 'PONG', params: [irc.server, m.params[0]!] }]);
    return irc.request({ type: 'ping' }, { verb: 'PING', target: '', token: m.params[0]!, quiet: false, done: (a) => a.type === 'pong' });
  },
};

const PONG: IrcCommand = { preRegistration: true, handle() {} };

const QUIT: IrcCommand = {
  preRegistration: true,
  handle(irc, m) {
    const reason = m.params[0];
    if (reason) irc.state.quitReason = reason;
    return irc.request(reason ? { type: 'quit', reason } : { type: 'quit' }, { verb: 'QUIT', target: '', quiet: true, done: (a) => a.type === 'bye' });
  },
};

const JOIN: IrcCommand = {
  params: 1,
  async handle(irc, m) {
    if (m.params[0] === '0') {
      for (const room of irc.rooms()) await irc.request({ type: 'part', room }, partOf(irc, room));
      return;
    }
    const keys = (m.params[1] ?? '').split(',');
    const channels = m.params[0]!.split(',');
    for (const [i, channel] of channels.entries()) {
      const room = roomFromChannel(channel);
      if (room === null) {
        irc.reply([n(irc, 'ERR_NOSUCHCHANNEL', channel)]);
        continue;
      }
      const key = keys[i];
      await irc.request(key ? { type: 'join', room, key } : { type: 'join', room }, {
        verb: 'JOIN', target: room, quiet: false, done: answeredBy('who', room),
      });
    }
  },
};

function partOf(irc: IrcConnection, room: string): Omit<Awaiting, 'ref'> {
  const me = irc.state.nick!;
  return { verb: 'PART', target: room, quiet: false, done: (a) => a.type === 'left' && caseFold(a.room) === caseFold(room) && caseFold(a.nick) === caseFold(me) };
}

const PART: IrcCommand = {
  params: 1,
  async handle(irc, m) {
    const reason = m.params[1];
    for (const channel of m.params[0]!.split(',')) {
      const room = roomFromChannel(channel) ?? channel;
      await irc.request(reason ? { type: 'part', room, reason } : { type: 'part', room }, partOf(irc, room));
    }
  },
};

/** PRIVMSG and NOTICE: to rooms (our say) and nicks (our dm); NOTICE is never answered with an error. */
function speak(quiet: boolean): IrcCommand {
  return {
    async handle(irc, m) {
      const verb = quiet ? 'NOTICE' : 'PRIVMSG';
      if (!m.params[0]) return quiet ? undefined : irc.reply([n(irc, 'ERR_NORECIPIENT', `No recipient given (${verb})`)]);
      if (m.params[1] === undefined || m.params[1] === '') return quiet ? undefined : irc.reply([n(irc, 'ERR_NOTEXTTOSEND')]);
      const incoming = readIncomingText(m.params[1]);
      // Other CTCP (VERSION, PING…) is between clients, and we do not relay it.
      if (incoming.kind === 'ctcp') return;
      for (const target of m.params[0].split(',')) {
        const room = roomFromChannel(target);
        const base = incoming.action ? { text: incoming.text, action: true as const } : { text: incoming.text };
        if (room !== null) {
          await irc.post({ type: 'say', room, ...base }, { verb: 'PRIVMSG', target: room, quiet, done: (a) => a.type === 'ack' });
        } else {
          await irc.post({ type: 'dm', to: target, ...base }, { verb: 'PRIVMSG', target, quiet, done: (a) => a.type === 'dm' && a.ref !== undefined });
        }
      }
    },
  };
}

const TOPIC: IrcCommand = {
  params: 1,
  handle(irc, m) {
    const room = roomFromChannel(m.params[0]!) ?? m.params[0]!;
    if (m.params.length < 2) {
      const known = irc.state.topics.get(caseFold(room));
      if (known !== undefined && irc.rooms().some((r) => caseFold(r) === caseFold(room))) return irc.reply([topicReply(irc, room, known)]);
      return irc.request({ type: 'who', room }, { verb: 'TOPIC', target: room, quiet: false, done: answeredBy('who', room) });
    }
    return irc.request({ type: 'topic', room, topic: m.params[1]! }, { verb: 'TOPIC', target: room, quiet: false, done: answeredBy('topic', room) });
  },
};

function listing(verb: 'NAMES' | 'WHO'): IrcCommand {
  return {
    async handle(irc, m) {
      const target = m.params[0];
      const room = target ? roomFromChannel(target.split(',')[0]!) : null;
      if (room === null) {
        // A nick, or nothing: we list rooms' members only.
        return irc.reply([verb === 'WHO' ? n(irc, 'RPL_ENDOFWHO', target ?? '*') : n(irc, 'RPL_ENDOFNAMES', target ?? '*')]);
      }
      await irc.request({ type: 'who', room }, { verb, target: room, quiet: false, done: answeredBy('who', room) });
    },
  };
}

const LIST: IrcCommand = {
  handle(irc) {
    return irc.request({ type: 'rooms' }, { verb: 'LIST', target: '', quiet: false, done: (a) => a.type === 'rooms' });
  },
};

const MOTD: IrcCommand = {
  handle(irc) {
    irc.reply(irc.motd());
  },
};

/** Room settings as flag modes (+i +m +s +t) and modes with a parameter (+k key, +l limit). */
const FLAG_MODES: Readonly<Record<string, 'inviteOnly' | 'moderated' | 'secret' | 'topicOps'>> = { i: 'inviteOnly', m: 'moderated', s: 'secret', t: 'topicOps' };

/** One mode change read from a MODE line: `+o nick`, `-b mask`, `+k key`, `+i`. */
interface ModeChange { add: boolean; mode: string; param?: string }

/** Reads `+ov-b nick1 nick2 mask` into changes; modes that take a parameter take the next one. */
export function readModes(spec: string, params: readonly string[]): ModeChange[] | string {
  const changes: ModeChange[] = [];
  let add = true;
  let next = 0;
  for (const c of spec) {
    if (c === '+' || c === '-') {
      add = c === '+';
      continue;
    }
    const takes = c === 'o' || c === 'v' || c === 'b' || c === 'k' || (c === 'l' && add);
    if (!'ovbklimst'.includes(c)) return c;
    if (takes) {
      // `MODE #room +b` alone lists the bans.
      if (next >= params.length) {
        if (c === 'b') changes.push({ add, mode: c });
        continue;
      }
      changes.push({ add, mode: c, param: params[next++]! });
    } else {
      changes.push({ add, mode: c });
    }
  }
  return changes;
}

/** The request a mode change makes of our protocol. */
function modeRequest(room: string, change: ModeChange): ClientMessage {
  const { add, mode, param } = change;
  switch (mode) {
    case 'o': case 'v':
      return { type: 'role', room, account: param!, role: add ? (mode === 'o' ? 'op' : 'voice') : 'none' };
    case 'b':
      if (param === undefined) return { type: 'bans', room };
      return add ? { type: 'ban', room, mask: param } : { type: 'unban', room, mask: param };
    case 'k':
      return { type: 'settings', room, key: add ? param ?? '' : '' };
    case 'l':
      return { type: 'settings', room, limit: add ? Number(param) || 0 : 0 };
    default:
      return { type: 'settings', room, [FLAG_MODES[mode]!]: add };
  }
}

const MODE: IrcCommand = {
  params: 1,
  async handle(irc, m) {
    const target = m.params[0]!;
    const room = roomFromChannel(target);
    if (room === null) {
      if (caseFold(target) !== caseFold(irc.state.nick ?? '')) return irc.reply([n(irc, 'ERR_USERSDONTMATCH')]);
      // Everyone is invisible here (+i: WHO lists room members only); asking for it changes nothing.
      if (m.params.length === 1 || /^[+-]?i+$/.test(m.params[1]!)) return irc.reply([n(irc, 'RPL_UMODEIS', '+i')]);
      return irc.reply([n(irc, 'ERR_UMODEUNKNOWNFLAG')]);
    }
    // The settings come with the room's member list (to members and operators only).
    if (m.params.length === 1) return irc.request({ type: 'who', room }, { verb: 'MODE', target: room, quiet: false, done: answeredBy('who', room) });
    const changes = readModes(m.params[1]!, m.params.slice(2));
    if (typeof changes === 'string') return irc.reply([n(irc, 'ERR_UNKNOWNMODE', changes)]);
    for (const change of changes) {
      await irc.request(modeRequest(room, change), { verb: 'MODE', target: change.param ?? room, room, quiet: false });
    }
  },
};

const KICK: IrcCommand = {
  params: 2,
  async handle(irc, m) {
    const room = roomFromChannel(m.params[0]!) ?? m.params[0]!;
    const reason = m.params[2];
    for (const nick of m.params[1]!.split(',')) {
      await irc.request(reason ? { type: 'kick', room, nick, reason } : { type: 'kick', room, nick }, { verb: 'KICK', target: nick, room, quiet: false });
    }
  },
};

const INVITE: IrcCommand = {
  params: 2,
  handle(irc, m) {
    const room = roomFromChannel(m.params[1]!) ?? m.params[1]!;
    return irc.request({ type: 'invite', room, nick: m.params[0]! }, { verb: 'INVITE', target: m.params[0]!, room, quiet: false });
  },
};

const KILL: IrcCommand = {
  params: 1,
  handle(irc, m) {
    const reason = m.params[1];
    return irc.request(reason ? { type: 'kill', nick: m.params[0]!, reason } : { type: 'kill', nick: m.params[0]! }, { verb: 'KILL', target: m.params[0]!, quiet: false });
  },
};

/** The most messages one CHATHISTORY answer holds (CHATHISTORY in ISUPPORT): our largest history page. */
export const CHATHISTORY_MAX = HISTORY_PAGE_MAX;

/** Parameters of each CHATHISTORY subcommand, the limit last. */
const CHATHISTORY_PARAMS: Readonly<Record<string, number>> = { LATEST: 3, BEFORE: 3, AFTER: 3, AROUND: 3, BETWEEN: 4 };

/**
 * draft/chathistory over our history: each message reference (`msgid=` our message id, `timestamp=`
 * an ISO time) becomes a seq through `locate`, and the pages come from `history` (before, or after and
 * before), so the same privacy and page cut apply. DMs are not stored: a nick's history is empty.
 */
const CHATHISTORY: IrcCommand = {
  params: 1,
  async handle(irc, m) {
    const sub = m.params[0]!.toUpperCase();
    const fail = (code: StandardReplyCode, text: string) => irc.reply([standardReply(irc.server, 'FAIL', 'CHATHISTORY', code, [sub], text)]);
    if (sub === 'TARGETS') {
      if (m.params.length < 4) return fail('NEED_MORE_PARAMS', 'Missing parameters');
      // Our DMs are not stored, and rooms a client is in it knows already: no targets to offer.
      return irc.reply(inBatch(irc, irc.batchId(), 'draft/chathistory-targets', [], []));
    }
    const count = CHATHISTORY_PARAMS[sub];
    if (count === undefined) return fail('UNKNOWN_COMMAND', 'Unknown subcommand');
    const p = m.params.slice(1);
    if (p.length < count) return fail('NEED_MORE_PARAMS', 'Missing parameters');
    const target = p[0]!;
    const limit = Number(p[count - 1]);
    if (!Number.isInteger(limit) || limit < 1) return fail('INVALID_PARAMS', 'Invalid limit');
    const n = Math.min(limit, CHATHISTORY_MAX);
    const room = roomFromChannel(target);
    const answer = (messages: readonly ChatMessage[]) => irc.reply(inBatch(irc, irc.batchId(), 'chathistory', [target], historyLines(irc, target, messages)));
    if (room === null) return answer([]);
    const how = { verb: 'CHATHISTORY', target: room, quiet: false };
    /** A reference as a seq bound: 'lower' for an exclusive `after`, 'upper' for an exclusive `before`. */
    const bound = async (ref: string, side: 'lower' | 'upper'): Promise<number | 'missing' | 'invalid' | 'failed'> => {
      const eq = ref.indexOf('=');
      const kind = ref.slice(0, eq);
      const value = ref.slice(eq + 1);
      let ask: ClientMessage;
      if (eq > 0 && kind === 'msgid' && value !== '') ask = { type: 'locate', room, id: value };
      else if (eq > 0 && kind === 'timestamp' && !Number.isNaN(Date.parse(value))) {
        const ms = Date.parse(value);
        ask = { type: 'locate', room, ts: side === 'lower' ? ms + 1 : ms };
      } else return 'invalid';
      const located = await irc.request(ask, { ...how, done: (a) => a.type === 'located' });
      if (located?.type !== 'located') return 'failed';
      if (located.seq === undefined) return 'missing';
      // A time's seq is the last message before it: an upper bound sits just past it.
      return 'ts' in ask && side === 'upper' ? located.seq + 1 : located.seq;
    };
    const page = async (query: { before?: number; after?: number; limit: number }): Promise<ChatMessage[] | null> => {
      const got = await irc.request({ type: 'history', room, ...query }, { ...how, done: (a) => a.type === 'history' && caseFold(a.room) === caseFold(room) });
      return got?.type === 'history' ? got.messages : null;
    };
    const bounds = async (...refs: [string, 'lower' | 'upper'][]): Promise<number[] | null> => {
      const out: number[] = [];
      for (const [ref, side] of refs) {
        const b = await bound(ref, side);
        if (b === 'invalid') fail('INVALID_PARAMS', `Invalid message reference ${ref}`);
        // A message we cannot find has nothing around it: an empty batch, as the draft allows.
        if (b === 'missing') answer([]);
        if (typeof b !== 'number') return null;
        out.push(b);
      }
      return out;
    };
    let messages: ChatMessage[] | null = null;
    if (sub === 'LATEST') {
      const latest = await page({ limit: n });
      if (latest === null || p[1] === '*') messages = latest;
      else {
        const floor = await bounds([p[1]!, 'lower']);
        if (floor === null) return;
        messages = latest.filter((x) => x.seq > floor[0]!);
      }
    } else if (sub === 'BEFORE') {
      const b = await bounds([p[1]!, 'upper']);
      if (b === null) return;
      messages = await page({ before: b[0]!, limit: n });
    } else if (sub === 'AFTER') {
      const b = await bounds([p[1]!, 'lower']);
      if (b === null) return;
      messages = await page({ after: b[0]!, limit: n });
    } else if (sub === 'AROUND') {
      const b = await bounds([p[1]!, 'lower']);
      if (b === null) return;
      const half = Math.ceil(n / 2);
      const older = await page({ before: b[0]! + 1, limit: half });
      const newer = older && (await page({ after: b[0]!, limit: Math.max(1, n - older.length) }));
      messages = older && newer ? [...older, ...newer.filter((x) => x.seq > b[0]!)].slice(0, n) : null;
    } else {
      const forward = await bounds([p[1]!, 'lower'], [p[2]!, 'upper']);
      if (forward === null) return;
      if (forward[0]! < forward[1]!) messages = await page({ after: forward[0]!, before: forward[1]!, limit: n });
      else {
        // From the newer reference back towards the older one.
        const back = await bounds([p[1]!, 'upper'], [p[2]!, 'lower']);
        if (back === null) return;
        messages = (await page({ before: back[0]!, limit: n }))?.filter((x) => x.seq > back[1]!) ?? null;
      }
    }
    if (messages !== null) answer(messages);
  },
};

/** `AWAY :reason` marks us away (306), `AWAY` alone back (305); a reason past AWAYLEN is cut, formatting stripped. */
const AWAY: IrcCommand = {
  handle(irc, m) {
    const reason = Array.from(stripFormatting(m.params[0] ?? '')).slice(0, REASON_MAX).join('').trim();
    return irc.request(reason ? { type: 'away', reason } : { type: 'away' }, { verb: 'AWAY', target: '', quiet: false });
  },
};

/** `WHOIS nick` or `WHOIS server nick`; of a comma list, the first nick only (as most servers answer). */
const WHOIS: IrcCommand = {
  params: 1,
  handle(irc, m) {
    const nick = (m.params[1] ?? m.params[0]!).split(',')[0]!;
    if (nick === '') return irc.reply([n(irc, 'ERR_NONICKNAMEGIVEN')]);
    return irc.request({ type: 'whois', nick }, { verb: 'WHOIS', target: nick, quiet: false });
  },
};

const LUSERS: IrcCommand = {
  handle(irc) {
    return irc.request({ type: 'stats' }, { verb: 'LUSERS', target: '', quiet: false });
  },
};

export const IRC_COMMANDS: Readonly<Record<string, IrcCommand>> = {
  CAP, PASS, NICK, USER, AUTHENTICATE, PING, PONG, QUIT,
  JOIN, PART, PRIVMSG: speak(false), NOTICE: speak(true), TOPIC,
  NAMES: listing('NAMES'), WHO: listing('WHO'), LIST, MOTD, MODE, KICK, INVITE, KILL, CHATHISTORY,
  AWAY, WHOIS, LUSERS,
};
