/**
 * The slash-command parser used by the TCP text mode and the terminal client: a table of commands
 * (name, usage, help, build), so help text comes from the same place as the behaviour.
 */
import type { ErrorCode } from './errors.js';
import { validateClientMessage } from './parse.js';
import type { BanMsg, ClientMessage, MuteMsg } from './protocol.js';

export interface InputContext {
  /** The room the user is looking at, for commands that default to it and for plain text. */
  room?: string;
}

export type InputOutcome =
  | { kind: 'message'; message: ClientMessage }
  | { kind: 'help'; text: string }
  /** `code` is set when the command was well formed but a value broke a protocol rule. */
  | { kind: 'error'; message: string; code?: ErrorCode };

interface CommandSpec {
  name: string;
  aliases?: string[];
  usage: string;
  help: string;
  /** The command carries a password: the line is never kept in input history. */
  secret?: true;
  /** Builds the message from the words after the command; `rest` is the raw text after the name. */
  build(args: string[], rest: string, ctx: InputContext): ClientMessage | string;
}

const NEEDS_ROOM = 'you are not in a room: /join one first';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90s`, `30m`, `2h`, `7d` in seconds; undefined when the word is not a duration. */
function durationSeconds(word: string): number | undefined {
  const match = /^(\d{1,6})([smhd])$/.exec(word);
  return match ? Number(match[1]) * UNIT_SECONDS[match[2]!]! : undefined;
}

function roomAndRest(args: string[], rest: string, ctx: InputContext): { room?: string; rest: string } {
  if (args[0]?.startsWith('#')) return { room: args[0], rest: rest.slice(rest.indexOf(args[0]) + args[0].length).trim() };
  return { room: ctx.room, rest };
}

/** `[time] [reason]` after a target: a leading 90s/30m/2h/7d is the duration. */
function timeAndReason(after: string, maybeTime: string | undefined): { duration?: number; reason: string } {
  const duration = maybeTime === undefined ? undefined : durationSeconds(maybeTime);
  return duration === undefined ? { reason: after } : { duration, reason: after.slice(maybeTime!.length).trim() };
}

/** /ban and /mute: `[#room] target [time] [reason]`. */
function markCommand(name: 'ban' | 'mute', help: string): CommandSpec {
  const usage = `/${name} [#room] nick|address[/bits] [30m|2h|7d] [reason]`;
  return {
    name, usage, help: `room operators: ${help}`,
    build: (args, rest, ctx) => {
      const r = roomAndRest(args, rest, ctx);
      if (!r.room) return NEEDS_ROOM;
      const words = r.rest.split(/\s+/).filter(Boolean);
      const [mask, maybeTime] = words;
      if (!mask) return `usage: ${usage}`;
      const { duration, reason } = timeAndReason(r.rest.slice(r.rest.indexOf(mask) + mask.length).trim(), maybeTime);
      const message: BanMsg | MuteMsg = { type: name, room: r.room, mask };
      if (duration !== undefined) message.duration = duration;
      if (reason) message.reason = reason;
      return message;
    },
  };
}

function unmarkCommand(name: 'unban' | 'unmute', help: string): CommandSpec {
  const usage = `/${name} [#room] nick|address[/bits]`;
  return {
    name, usage, help: `room operators: ${help}`,
    build: (args, rest, ctx) => {
      const r = roomAndRest(args, rest, ctx);
      if (!r.room) return NEEDS_ROOM;
      const [mask] = r.rest.split(/\s+/).filter(Boolean);
      return mask ? { type: name, room: r.room, mask } : `usage: ${usage}`;
    },
  };
}

function roleCommand(name: string, role: 'op' | 'voice' | 'none', help: string): CommandSpec {
  const usage = `/${name} [#room] nick`;
  return {
    name, usage, help: `room operators: ${help}`,
    build: (args, rest, ctx) => {
      const r = roomAndRest(args, rest, ctx);
      if (!r.room) return NEEDS_ROOM;
      const [account] = r.rest.split(/\s+/).filter(Boolean);
      return account ? { type: 'role', room: r.room, account, role } : `usage: ${usage}`;
    },
  };
}

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'join', aliases: ['j'], usage: '/join #room [key]', help: 'join a room (created if new) and make it current',
    build: ([room, key]) => (room ? (key ? { type: 'join', room, key } : { type: 'join', room }) : 'which room?'),
  },
  {
    name: 'part', aliases: ['leave'], usage: '/part [#room] [reason]', help: 'leave a room (the current one by default)',
    build: (args, rest, ctx) => {
      const r = roomAndRest(args, rest, ctx);
      if (!r.room) return NEEDS_ROOM;
      return r.rest ? { type: 'part', room: r.room, reason: r.rest } : { type: 'part', room: r.room };
    },
  },
  {
    name: 'msg', aliases: ['query', 'm'], usage: '/msg nick text', help: 'send a private message',
    build: (args, rest) => {
      const [to] = args;
      const text = to ? rest.slice(rest.indexOf(to) + to.length).trimStart() : '';
      return to && text ? { type: 'dm', to, text } : 'usage: /msg nick text';
    },
  },
  {
    name: 'me', usage: '/me action', help: 'describe an action: "* alice waves"',
    build: (_args, rest, ctx) => {
      if (!ctx.room) return NEEDS_ROOM;
      return rest ? { type: 'say', room: ctx.room, text: rest, action: true } : 'usage: /me action';
    },
  },
  {
    name: 'nick', usage: '/nick newname', help: 'change your nick',
    build: ([nick]) => (nick ? { type: 'nick', nick } : 'usage: /nick newname'),
  },
  {
    name: 'topic', usage: '/topic [#room] text', help: "set a room's topic",
    build: (args, rest, ctx) => {
      const r = roomAndRest(args, rest, ctx);
      if (!r.room) return NEEDS_ROOM;
      return r.rest ? { type: 'topic', room: r.room, topic: r.rest } : 'usage: /topic [#room] text';
    },
  },
  {
    name: 'who', aliases: ['names'], usage: '/who [#room]', help: "list a room's members",
    build: ([room], _rest, ctx) => {
      const target = room ?? ctx.room;
      return target ? { type: 'who', room: target } : NEEDS_ROOM;
    },
  },
  {
    name: 'away', usage: '/away [reason]', help: 'mark yourself away (shown in who and to whoever DMs you); /away alone: back',
    build: (_args, rest) => (rest.trim() ? { type: 'away', reason: rest.trim() } : { type: 'away' }),
  },
  {
    name: 'back', usage: '/back', help: 'no longer away',
    build: () => ({ type: 'away' }),
  },
  {
    name: 'whois', usage: '/whois nick', help: "who holds a nick: its account when logged in, and whether it is away",
    build: ([nick]) => (nick ? { type: 'whois', nick } : 'usage: /whois nick'),
  },
  {
    name: 'rooms', aliases: ['list'], usage: '/rooms', help: 'list rooms with their member counts and topics',
    build: () => ({ type: 'rooms' }),
  },
  {
    name: 'history', usage: '/history [#room] [count]', help: 'show earlier messages (up to 200)',
    build: (args, _rest, ctx) => {
      const room = args[0]?.startsWith('#') ? args.shift() : ctx.room;
      if (!room) return NEEDS_ROOM;
      if (args[0] === undefined) return { type: 'history', room };
      const limit = Number(args[0]);
      return Number.isInteger(limit) ? { type: 'history', room, limit } : 'usage: /history [#room] [count]';
    },
  },
  {
    name: 'search', usage: '/search [#room] words',
    help: "find a room's messages holding all the words (in any case, with or without accents)",
    build: (args, rest, ctx) => {
      const r = roomAndRest(args, rest, ctx);
      if (!r.room) return NEEDS_ROOM;
      const page = /^before:(\d{1,16})(?:\s+|$)/i.exec(r.rest);
      const query = page ? r.rest.slice(page[0].length).trim() : r.rest;
      if (!query) return 'usage: /search [#room] words';
      return page ? { type: 'search', room: r.room, query, before: Number(page[1]) } : { type: 'search', room: r.room, query };
    },
  },
  {
    name: 'register', secret: true, usage: '/register password [email]', help: 'register your nick as an account (password: 8+ characters)',
    build: ([password, email]) => {
      if (!password) return 'usage: /register password [email]';
      return email ? { type: 'register', password, email } : { type: 'register', password };
    },
  },
  {
    name: 'identify', secret: true, aliases: ['login'], usage: '/identify [account] password', help: 'log in to your account (and take its nick)',
    build: (args) => {
      if (args.length === 1) return { type: 'identify', password: args[0]! };
      if (args.length === 2) return { type: 'identify', account: args[0]!, password: args[1]! };
      return 'usage: /identify [account] password';
    },
  },
  {
    name: 'ghost', secret: true, usage: '/ghost nick password', help: "disconnect whoever holds your registered nick, and take it",
    build: ([nick, password]) => (nick && password ? { type: 'ghost', nick, password } : 'usage: /ghost nick password'),
  },
  {
    name: 'password', secret: true, usage: '/password old new', help: "change your account's password",
    build: ([old, next]) => (old && next ? { type: 'password', old, new: next } : 'usage: /password old new'),
  },
  {
    name: 'drop', secret: true, usage: '/drop password', help: 'delete your account (your nick stays yours until you leave)',
    build: ([password]) => (password ? { type: 'drop', password } : 'usage: /drop password'),
  },
  {
    name: 'operator', usage: '/operator nick on|off', help: 'server operators: make a registered nick a server operator, or no longer',
    build: ([account, value]) => (account && (value === 'on' || value === 'off')
      ? { type: 'operator', account, grant: value === 'on' } : 'usage: /operator nick on|off'),
  },
  {
    name: 'kill', usage: '/kill nick [reason]', help: 'server operators: disconnect a user',
    build: (args, rest) => {
      const [nick] = args;
      if (!nick) return 'usage: /kill nick [reason]';
      const reason = rest.slice(rest.indexOf(nick) + nick.length).trim();
      return reason ? { type: 'kill', nick, reason } : { type: 'kill', nick };
    },
  },
  {
    name: 'kick', usage: '/kick [#room] nick [reason]', help: 'room operators: make someone leave the room',
    build: (args, rest, ctx) => {
      const r = roomAndRest(args, rest, ctx);
      if (!r.room) return NEEDS_ROOM;
      const [nick] = r.rest.split(/\s+/).filter(Boolean);
      if (!nick) return 'usage: /kick [#room] nick [reason]';
      const reason = r.rest.slice(r.rest.indexOf(nick) + nick.length).trim();
      return reason ? { type: 'kick', room: r.room, nick, reason } : { type: 'kick', room: r.room, nick };
    },
  },
  markCommand('ban', 'keep a nick, an account or an address out of the room'),
  unmarkCommand('unban', 'lift a room ban'),
  {
    name: 'bans', usage: '/bans [#room]', help: "room operators: list the room's bans",
    build: (args, rest, ctx) => {
      const r = roomAndRest(args, rest, ctx);
      return r.room ? { type: 'bans', room: r.room } : NEEDS_ROOM;
    },
  },
  markCommand('mute', 'stop a nick, an account or an address speaking in the room'),
  unmarkCommand('unmute', 'let them speak again'),
  roleCommand('op', 'op', 'make a registered nick an operator of the room (owner only)'),
  roleCommand('deop', 'none', "take a room operator's role away (owner only)"),
  roleCommand('voice', 'voice', 'let a registered nick speak in a moderated room'),
  roleCommand('devoice', 'none', 'take voice away'),
  {
    name: 'invite', usage: '/invite nick [#room]', help: 'room operators: let someone into an invite-only room once',
    build: ([nick, room], _rest, ctx) => {
      const target = room ?? ctx.room;
      if (!nick) return 'usage: /invite nick [#room]';
      return target ? { type: 'invite', room: target, nick } : NEEDS_ROOM;
    },
  },
  {
    name: 'set', usage: '/set [#room] invite-only|moderated|secret|topic-ops on|off, key K|off, limit N|off',
    help: "room operators: change one of the room's settings",
    build: (args, rest, ctx) => {
      const r = roomAndRest(args, rest, ctx);
      if (!r.room) return NEEDS_ROOM;
      const [name, value] = r.rest.split(/\s+/).filter(Boolean);
      const usage = 'usage: /set [#room] invite-only|moderated|secret|topic-ops on|off, key K|off, limit N|off';
      if (!name || value === undefined) return usage;
      const flags: Record<string, 'inviteOnly' | 'moderated' | 'secret' | 'topicOps'> = {
        'invite-only': 'inviteOnly', moderated: 'moderated', secret: 'secret', 'topic-ops': 'topicOps',
      };
      const flag = flags[name.toLowerCase()];
      if (flag) return value === 'on' || value === 'off' ? { type: 'settings', room: r.room, [flag]: value === 'on' } : usage;
      if (name.toLowerCase() === 'key') return { type: 'settings', room: r.room, key: value === 'off' ? '' : value };
      if (name.toLowerCase() === 'limit') {
        const limit = value === 'off' ? 0 : Number(value);
        return Number.isInteger(limit) && limit >= 0 ? { type: 'settings', room: r.room, limit } : usage;
      }
      return usage;
    },
  },
  {
    name: 'serverban', usage: '/serverban address[/bits] [30m|2h|7d] [reason]', help: 'server operators: ban an address or block from the server',
    build: (args, rest) => {
      const [mask, maybeTime] = args;
      if (!mask) return 'usage: /serverban address[/bits] [30m|2h|7d] [reason]';
      const { duration, reason } = timeAndReason(rest.slice(rest.indexOf(mask) + mask.length).trim(), maybeTime);
      const ban: BanMsg = { type: 'ban', mask };
      if (duration !== undefined) ban.duration = duration;
      if (reason) ban.reason = reason;
      return ban;
    },
  },
  {
    name: 'serverunban', usage: '/serverunban address[/bits]', help: 'server operators: lift a server ban',
    build: ([mask]) => (mask ? { type: 'unban', mask } : 'usage: /serverunban address[/bits]'),
  },
  {
    name: 'serverbans', usage: '/serverbans', help: "server operators: list the server's bans",
    build: () => ({ type: 'bans' }),
  },
  {
    name: 'quit', aliases: ['exit'], usage: '/quit [reason]', help: 'leave the chat',
    build: (_args, rest) => (rest ? { type: 'quit', reason: rest } : { type: 'quit' }),
  },
];

const HELP_COMMAND = { name: 'help', usage: '/help [command]', help: 'show this help' };

const byName = new Map<string, CommandSpec>();
for (const spec of COMMANDS) {
  byName.set(spec.name, spec);
  for (const alias of spec.aliases ?? []) byName.set(alias, spec);
}

/** Every command name and alias, for tab completion. */
export const COMMAND_NAMES: readonly string[] = [...byName.keys(), HELP_COMMAND.name].sort();

/** Whether the line is a command that carries a password (not to be kept in input history). */
export function carriesSecret(line: string): boolean {
  const name = /^\/(\S+)/.exec(line.trimStart())?.[1]?.toLowerCase();
  return name !== undefined && byName.get(name)?.secret === true;
}

export function helpText(command?: string): string {
  if (command) {
    const name = command.replace(/^\//, '').toLowerCase();
    // help is not in the table (it builds no message) but is listed and completed like the others.
    if (name === HELP_COMMAND.name) return `${HELP_COMMAND.usage}: ${HELP_COMMAND.help}`;
    const spec = byName.get(name);
    if (!spec) return `no such command: ${command}`;
    const aka = spec.aliases?.length ? ` (also ${spec.aliases.map((a) => `/${a}`).join(' ')})` : '';
    return `${spec.usage}: ${spec.help}${aka}`;
  }
  const rows = [...COMMANDS, HELP_COMMAND].map((c) => `${c.usage.padEnd(26)} ${c.help}`);
  return ['Commands:', ...rows, 'Anything else is sent to the current room; start with // to send a leading /.'].join('\n');
}

/**
 * Turns one line of user input into a protocol message, help text or a usage error.
 * Plain text goes to `ctx.room`; `//text` sends `/text`.
 */
export function parseInput(input: string, ctx: InputContext = {}): InputOutcome {
  // trimEnd, not /\s+$/: that regex is quadratic on a long run of inner spaces (seconds for a 64 KiB line).
  const line = input.trimEnd();
  if (!line.startsWith('/') || line.startsWith('//')) {
    const text = line.startsWith('//') ? line.slice(1) : line;
    if (text.trim() === '') return { kind: 'error', message: 'nothing to send' };
    if (!ctx.room) return { kind: 'error', message: NEEDS_ROOM };
    return checked({ type: 'say', room: ctx.room, text });
  }
  const match = /^\/(\S+)\s*(.*)$/s.exec(line);
  const name = (match?.[1] ?? '').toLowerCase();
  const rest = match?.[2] ?? '';
  const args = rest.split(/\s+/).filter(Boolean);
  if (name === HELP_COMMAND.name) return { kind: 'help', text: helpText(args[0]) };
  const spec = byName.get(name);
  if (!spec) return { kind: 'error', message: `unknown command /${name}: try /help` };
  const built = spec.build(args, rest, ctx);
  if (typeof built === 'string') return { kind: 'error', message: built };
  return checked(built);
}

function checked(candidate: ClientMessage): InputOutcome {
  const result = validateClientMessage(candidate);
  return result.ok
    ? { kind: 'message', message: result.value }
    : { kind: 'error', message: result.error.message, code: result.error.code };
}
