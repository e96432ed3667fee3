/**
 * Our server messages in IRC's words, for one connection: its nick, its capabilities and the request it
 * waits on decide the form (a `who` after JOIN is NAMES, after WHO it is WHO replies; a `left` that is a
 * quit is one QUIT per user). Pure: state changes that follow from a message (our nick) are made by the
 * peer.
 */
import { ErrorCode } from '../../shared/errors.js';
import { kickWords } from '../../shared/kick-reason.js';
import type { ChatMessage, RoomSettingsInfo, ServerMessage } from '../../shared/protocol.js';
import { caseFold } from '../../shared/validate.js';
import { isMirroredAction } from '../moderation/policy.js';
import { ACTION_PREFIX, ACTION_SUFFIX } from './format.js';
import type { Awaiting, IrcState } from './irc-state.js';
import type { IrcMessage } from './message.js';
import { numeric, standardReply, type NumericName } from './numerics.js';
import { splitText, textBudget } from './split.js';

/** The host part of every user's source: addresses are not shown to other users. */
export const USER_HOST = 'chat';

export function sourceOf(nick: string): string {
  return `${nick}!~u@${USER_HOST}`;
}

export interface RenderContext {
  /** Our server's name as an IRC source. */
  server: string;
  state: IrcState;
}

/** `answering`: the request `m` answers when it is not the one awaited (a PRIVMSG sent on without waiting). */
export function render(m: ServerMessage, ctx: RenderContext, answering?: Awaiting): IrcMessage[] {
  const { server, state } = ctx;
  const me = state.nick;
  const awaiting = state.awaiting;
  switch (m.type) {
    case 'joined': {
      // extended-join: the joiner's account (`*`: a guest) and real name (the nick stands in for it).
      const join: IrcMessage = {
        source: sourceOf(m.nick), verb: 'JOIN', params: state.has('extended-join') ? [m.room, m.account ?? '*', m.nick] : [m.room],
      };
      if (m.account !== undefined && state.has('account-tag')) join.tags = { account: m.account };
      const lines: IrcMessage[] = [join];
      // away-notify: a joiner who is away says so after its JOIN.
      if (m.away !== undefined && state.has('away-notify') && !isMe(me, m.nick)) lines.push({ source: sourceOf(m.nick), verb: 'AWAY', params: [m.away] });
      // A joiner with a role gets its mode from the server, as services give it on other networks.
      if (m.role !== undefined) lines.push({ source: server, verb: 'MODE', params: [m.room, `+${ROLE_MODES[m.role]}`, m.nick] });
      return lines;
    }
    case 'left': {
      if (m.by !== undefined) {
        return [{ source: sourceOf(m.by), verb: 'KICK', params: [m.room, m.nick, kickWords(m.reason, m.by) ?? m.by] }];
      }
      if (m.quit) {
        if (state.quitNicks.has(m.nick)) return [];
        state.quitNicks.add(m.nick);
        return [{ source: sourceOf(m.nick), verb: 'QUIT', params: [m.reason ?? 'Quit'] }];
      }
      return [{ source: sourceOf(m.nick), verb: 'PART', params: m.reason ? [m.room, m.reason] : [m.room] }];
    }
    case 'message':
      if (isMe(me, m.from) && !state.has('echo-message')) return [];
      return privmsgs(ctx, m.from, m.room, m.text, m.action === true, tagsOf(state, m));
    case 'dm': {
      // The answer to our PRIVMSG says when its target is away (301); a NOTICE gets no automatic reply.
      const asked = answering ?? (m.ref !== undefined && m.ref === awaiting?.ref ? awaiting : undefined);
      const away = isMe(me, m.from) && m.away !== undefined && asked !== undefined && asked.ref === m.ref && !asked.quiet
        ? [numeric(server, me, 'RPL_AWAY', m.to, m.away)] : [];
      // Our own DM answering our request is its echo; sent from another terminal, it is news.
      if (isMe(me, m.from) && m.ref !== undefined && !state.has('echo-message')) return away;
      return [...away, ...privmsgs(ctx, m.from, isMe(me, m.from) ? m.to : me ?? m.to, m.text, m.action === true, tagsOf(state, m))];
    }
    case 'nick':
      return [{ source: sourceOf(m.old), verb: 'NICK', params: [m.new] }];
    case 'topic':
      return [{ source: sourceOf(m.by), verb: 'TOPIC', params: [m.room, m.topic] }];
    case 'who':
      return whoReplies(ctx, m, awaiting);
    case 'rooms': {
      if (awaiting?.verb !== 'LIST') return [];
      // Rooms with members only (#lobby is always served, empty or not); secret rooms are never listed.
      const lines = m.rooms.filter((r) => r.users > 0).map((r) => numeric(server, me, 'RPL_LIST', r.name, String(r.users), r.topic));
      return [numeric(server, me, 'RPL_LISTSTART'), ...lines, numeric(server, me, 'RPL_LISTEND')];
    }
    case 'pong':
      return awaiting?.verb === 'PING' ? [{ source: server, verb: 'PONG', params: [server, awaiting.token ?? server] }] : [];
    case 'error':
      return awaiting && m.ref === awaiting.ref ? errorReplies(ctx, awaiting, m.code, m.message) : [noticeTo(ctx, `${m.code}: ${m.message}`)];
    case 'bye':
      return [{ verb: 'ERROR', params: [m.reason === 'quit' && state.quitReason ? `Closing link: (Quit: ${state.quitReason})` : `Closing link: ${m.reason}`] }];
    case 'account':
      return m.account
        ? [numeric(server, me, 'RPL_LOGGEDIN', sourceOf(me ?? m.account), m.account, `You are now logged in as ${m.account}`)]
        : [numeric(server, me, 'RPL_LOGGEDOUT', sourceOf(me ?? '*'))];
    case 'notice':
      if (awaiting?.verb === 'INVITE' && m.ref === awaiting.ref) return [numeric(server, me, 'RPL_INVITING', awaiting.target, awaiting.room ?? '')];
      return [noticeTo(ctx, m.text)];
    case 'invited':
      return [{ source: sourceOf(m.by), verb: 'INVITE', params: [me ?? '*', m.room] }];
    case 'moderation':
      // Role and settings changes come as MODE lines (the role and settings events).
      if (isMirroredAction(m.action)) return [];
      return [{ source: server, verb: 'NOTICE', params: [m.room, `${m.by} ${m.action} ${m.detail}${m.reason ? ` (${m.reason})` : ''}`] }];
    case 'role': {
      const modes = `${m.was !== 'none' ? `-${ROLE_MODES[m.was]}` : ''}${m.role !== 'none' ? `+${ROLE_MODES[m.role]}` : ''}`;
      const nicks = m.was !== 'none' && m.role !== 'none' ? [m.nick, m.nick] : [m.nick];
      return [{ source: m.by !== undefined ? sourceOf(m.by) : server, verb: 'MODE', params: [m.room, modes, ...nicks] }];
    }
    case 'settings': {
      const { modes, params } = settingsModes(m.settings, m.changed);
      return [{ source: m.by !== undefined ? sourceOf(m.by) : server, verb: 'MODE', params: [m.room, modes, ...params] }];
    }
    case 'bans':
      if (awaiting?.verb === 'MODE' && m.room !== undefined && m.ref === awaiting.ref) {
        const list = m.bans.map((b) => numeric(server, me, 'RPL_BANLIST', m.room!, b.mask, b.by, String(Math.floor(b.created / 1000))));
        return [...list, numeric(server, me, 'RPL_ENDOFBANLIST', m.room)];
      }
      return m.bans.map((b) => noticeTo(ctx, `ban ${m.room ?? 'server'} ${b.mask} by ${b.by}${b.reason ? `: ${b.reason}` : ''}`));
    case 'away':
      if (isMe(me, m.nick)) return [numeric(server, me, m.reason === undefined ? 'RPL_UNAWAY' : 'RPL_NOWAWAY')];
      if (!state.has('away-notify')) return [];
      return [{ source: sourceOf(m.nick), verb: 'AWAY', params: m.reason === undefined ? [] : [m.reason] }];
    case 'login':
      return state.has('account-notify') ? [{ source: sourceOf(m.nick), verb: 'ACCOUNT', params: [m.account ?? '*'] }] : [];
    case 'whois': {
      const asked = awaiting?.verb === 'WHOIS' ? awaiting.target : m.nick;
      return [
        numeric(server, me, 'RPL_WHOISUSER', m.nick, '~u', USER_HOST, '*', m.nick),
        numeric(server, me, 'RPL_WHOISSERVER', m.nick, server, server),
        ...(m.account !== undefined ? [numeric(server, me, 'RPL_WHOISACCOUNT', m.nick, m.account)] : []),
        ...(m.away !== undefined ? [numeric(server, me, 'RPL_AWAY', m.nick, m.away)] : []),
        numeric(server, me, 'RPL_ENDOFWHOIS', asked),
      ];
    }
    case 'stats': return lusersReplies(ctx, m);
    // The registration burst and the join history are the peer's business; acks are not shown; no IRC
    // command asks for a search.
    case 'welcome':
    case 'history':
    case 'located':
    case 'ack':
    case 'search':
    case 'read':
      return [];
  }
}

/** Our roles as IRC's channel membership modes (PREFIX in ISUPPORT). */
const ROLE_MODES = { op: 'o', voice: 'v' } as const;
const ROLE_PREFIXES = { op: '@', voice: '+' } as const;

/**
 * Our settings as IRC's channel modes, in the order 324 and MODE lines list them: the key last, so that
 * one set from our protocol with a space in it is the trailing parameter.
 */
const SETTING_MODES: readonly [keyof RoomSettingsInfo, string][] = [
  ['inviteOnly', 'i'], ['moderated', 'm'], ['secret', 's'], ['topicOps', 't'], ['limit', 'l'], ['key', 'k'],
];

/**
 * A MODE line's mode string and parameters for settings: those that came on first, then those that went
 * off. `+k` and `+l` take the key and the limit; `-k` takes `*` (CHANMODES type B always has one).
 */
function settingsModes(settings: RoomSettingsInfo, only?: readonly (keyof RoomSettingsInfo)[]): { modes: string; params: string[] } {
  const on: string[] = [];
  const off: string[] = [];
  const params: string[] = [];
  const offParams: string[] = [];
  for (const [name, mode] of SETTING_MODES) {
    if (only && !only.includes(name)) continue;
    const value = settings[name];
    if (value !== undefined) {
      on.push(mode);
      if (name === 'key' || name === 'limit') params.push(String(value));
    } else if (only) {
      off.push(mode);
      if (name === 'key') offParams.push('*');
    }
  }
  const modes = `${on.length > 0 ? `+${on.join('')}` : ''}${off.length > 0 ? `-${off.join('')}` : ''}`;
  return { modes: modes === '' ? '+' : modes, params: [...params, ...offParams] };
}

function isMe(me: string | null, nick: string): boolean {
  return me !== null && caseFold(me) === caseFold(nick);
}

/** The tags of a message from a user: its time, its msgid and its sender's account, as the capabilities ask. */
function tagsOf(state: IrcState, m: { id: string; ts: number; account?: string }): Record<string, string> | undefined {
  const tags: Record<string, string> = {};
  if (state.has('server-time')) tags.time = new Date(m.ts).toISOString();
  if (state.has('message-tags')) tags.msgid = m.id;
  if (m.account !== undefined && state.has('account-tag')) tags.account = m.account;
  return Object.keys(tags).length > 0 ? tags : undefined;
}

/** One PRIVMSG per line of `text` (and more for a long line), the msgid on the first only. */
function privmsgs(ctx: RenderContext, from: string, target: string, text: string, action: boolean, tags?: Record<string, string>): IrcMessage[] {
  const source = sourceOf(from);
  const head = `:${source} PRIVMSG ${target} :`;
  const budget = action ? textBudget(head + ACTION_PREFIX, ACTION_SUFFIX) : textBudget(head);
  return splitText(text, budget).map((piece, i) => {
    const line: IrcMessage = { source, verb: 'PRIVMSG', params: [target, action ? `${ACTION_PREFIX}${piece}${ACTION_SUFFIX}` : piece] };
    if (tags) {
      const { msgid, ...rest } = tags;
      const mine = i === 0 || msgid === undefined ? tags : rest;
      if (Object.keys(mine).length > 0) return { ...line, tags: mine };
    }
    return line;
  });
}

function noticeTo(ctx: RenderContext, text: string): IrcMessage {
  return { source: ctx.server, verb: 'NOTICE', params: [ctx.state.nick ?? '*', text.replace(/[\r\n]+/g, ' ')] };
}

/** A `who` in the terms of the request it answers: NAMES (after JOIN or NAMES), WHO replies, or TOPIC. */
function whoReplies(ctx: RenderContext, m: Extract<ServerMessage, { type: 'who' }>, awaiting: Awaiting | null): IrcMessage[] {
  const { server, state } = ctx;
  const me = state.nick;
  state.topics.set(caseFold(m.room), m.topic ?? '');
  const verb = awaiting && caseFold(awaiting.target) === caseFold(m.room) ? awaiting.verb : 'NAMES';
  const prefix = prefixesOf(m);
  if (verb === 'WHO') {
    // H here, G gone (away); then the member's prefix.
    const away = new Set(m.away ?? []);
    const lines = m.users.map((nick) => numeric(server, me, 'RPL_WHOREPLY', m.room, '~u', USER_HOST, server, nick,
      `${away.has(nick) ? 'G' : 'H'}${prefix(nick)}`, `0 ${nick}`));
    return [...lines, numeric(server, me, 'RPL_ENDOFWHO', m.room)];
  }
  if (verb === 'TOPIC') return [topicReply(ctx, m.room, m.topic)];
  if (verb === 'MODE') {
    const { modes, params } = settingsModes(m.settings ?? {});
    return [numeric(server, me, 'RPL_CHANNELMODEIS', m.room, modes, ...params)];
  }
  const names = namesReplies(ctx, m.room, m.users, prefix);
  // A joiner gets the topic first, as every IRC server sends it.
  return verb === 'JOIN' && m.topic ? [topicReply(ctx, m.room, m.topic), ...names] : names;
}

/**
 * LUSERS: users, operators and rooms (with members) of the whole server, or of the cluster; this node's
 * own users as its clients, and the other nodes as its servers.
 */
function lusersReplies(ctx: RenderContext, m: Extract<ServerMessage, { type: 'stats' }>): IrcMessage[] {
  const { server, state } = ctx;
  const me = state.nick;
  const n = (name: NumericName, ...params: string[]) => numeric(server, me, name, ...params);
  return [
    n('RPL_LUSERCLIENT', `There are ${m.users} users and 0 invisible on ${m.servers} servers`),
    ...(m.operators > 0 ? [n('RPL_LUSEROP', String(m.operators))] : []),
    n('RPL_LUSERCHANNELS', String(m.rooms)),
    n('RPL_LUSERME', `I have ${m.localUsers} clients and ${m.servers - 1} servers`),
    n('RPL_LOCALUSERS', String(m.localUsers), String(m.maxLocalUsers), `Current local users ${m.localUsers}, max ${m.maxLocalUsers}`),
    n('RPL_GLOBALUSERS', `Current global users ${m.users}`),
  ];
}

export function topicReply(ctx: RenderContext, room: string, topic: string | undefined): IrcMessage {
  return topic ? numeric(ctx.server, ctx.state.nick, 'RPL_TOPIC', room, topic) : numeric(ctx.server, ctx.state.nick, 'RPL_NOTOPIC', room);
}

/**
 * Each member's prefix in NAMES and WHO: `@` for operators, `+` for voiced users. An account holds one
 * role in a room, so multi-prefix never has two to show.
 */
function prefixesOf(m: Extract<ServerMessage, { type: 'who' }>): (nick: string) => string {
  if (m.ops === undefined && m.voiced === undefined) return () => '';
  const ops = new Set(m.ops);
  const voiced = new Set(m.voiced);
  return (nick) => (ops.has(nick) ? ROLE_PREFIXES.op : voiced.has(nick) ? ROLE_PREFIXES.voice : '');
}

/** 353 lines packed within the line limit, then 366. */
function namesReplies(ctx: RenderContext, room: string, users: readonly string[], prefix: (nick: string) => string): IrcMessage[] {
  const { server, state } = ctx;
  const me = state.nick;
  const head = `:${server} 353 ${me ?? '*'} = ${room} :`;
  const budget = textBudget(head);
  const lines: IrcMessage[] = [];
  let chunk = '';
  const full = state.has('userhost-in-names');
  for (const user of users) {
    const nick = prefix(user) + (full ? sourceOf(user) : user);
    if (chunk !== '' && Buffer.byteLength(chunk) + 1 + Buffer.byteLength(nick) > budget) {
      lines.push(numeric(server, me, 'RPL_NAMREPLY', '=', room, chunk));
      chunk = '';
    }
    chunk = chunk === '' ? nick : `${chunk} ${nick}`;
  }
  if (chunk !== '') lines.push(numeric(server, me, 'RPL_NAMREPLY', '=', room, chunk));
  lines.push(numeric(server, me, 'RPL_ENDOFNAMES', room));
  return lines;
}

/** Our error codes as the numerics IRC clients know, in the terms of the command that got them. */
export function errorReplies(ctx: RenderContext, awaiting: Awaiting, code: string, message: string): IrcMessage[] {
  if (awaiting.quiet) return [];
  const { server, state } = ctx;
  if (awaiting.verb === 'CHATHISTORY') {
    return [standardReply(server, 'FAIL', 'CHATHISTORY', code === ErrorCode.INTERNAL ? 'MESSAGE_ERROR' : 'INVALID_TARGET', [awaiting.target], message)];
  }
  const me = state.nick;
  const target = awaiting.target;
  const n = (name: NumericName, ...params: string[]) => [numeric(server, me, name, ...params)];
  switch (code) {
    case ErrorCode.NICK_TAKEN: return n('ERR_NICKNAMEINUSE', target);
    case ErrorCode.NICK_REGISTERED: return [{ source: server, verb: '433', params: [me ?? '*', target, message] }];
    case ErrorCode.NICK_INVALID:
      return awaiting.verb === 'WHOIS' ? [...n('ERR_NOSUCHNICK', target), ...n('RPL_ENDOFWHOIS', target)] : n('ERR_ERRONEUSNICKNAME', target);
    case ErrorCode.PASSWORD_REQUIRED: return n('ERR_PASSWDMISMATCH');
    case ErrorCode.LOGIN_FAILED: return awaiting.verb === 'AUTHENTICATE' ? n('ERR_SASLFAIL') : n('ERR_PASSWDMISMATCH');
    case ErrorCode.NO_SUCH_USER:
      return awaiting.verb === 'WHOIS' ? [...n('ERR_NOSUCHNICK', target), ...n('RPL_ENDOFWHOIS', target)] : n('ERR_NOSUCHNICK', target);
    case ErrorCode.ROOM_INVALID: return n('ERR_BADCHANMASK', target);
    case ErrorCode.ROOM_FULL: return n('ERR_CHANNELISFULL', target);
    case ErrorCode.INVITE_ONLY: return n('ERR_INVITEONLYCHAN', target);
    case ErrorCode.BAD_KEY: return n('ERR_BADCHANNELKEY', target);
    case ErrorCode.TOO_MANY_ROOMS: return n('ERR_TOOMANYCHANNELS', target);
    case ErrorCode.NOT_OPERATOR: return awaiting.verb === 'KILL' ? n('ERR_NOPRIVILEGES') : n('ERR_CHANOPRIVSNEEDED', awaiting.room ?? target);
    case ErrorCode.BANNED:
      return awaiting.verb === 'JOIN' ? n('ERR_BANNEDFROMCHAN', target) : n('ERR_CANNOTSENDTOCHAN', target);
    case ErrorCode.MUTED:
    case ErrorCode.ACCOUNT_REQUIRED:
      if (awaiting.verb === 'PRIVMSG') return [{ source: server, verb: '404', params: [me ?? '*', target, message] }];
      break;
    case ErrorCode.NOT_IN_ROOM:
      return awaiting.verb === 'PRIVMSG' ? n('ERR_CANNOTSENDTOCHAN', target) : n('ERR_NOTONCHANNEL', target);
  }
  // The rest in our own words: FAIL <command> <our code> :<message>.
  return [{ source: server, verb: 'FAIL', params: [awaiting.verb, code, message] }];
}

/** A page of history as PRIVMSGs, oldest first, each with its time, msgid and account when negotiated. */
export function historyLines(ctx: RenderContext, room: string, messages: readonly ChatMessage[]): IrcMessage[] {
  return messages.flatMap((m) => privmsgs(ctx, m.from, room, m.text, m.action === true, tagsOf(ctx.state, m)));
}

/** `lines` as one batch of `type` (BATCH +id type params… / -id) when the client takes batches. */
export function inBatch(ctx: RenderContext, id: string, type: string, params: readonly string[], lines: readonly IrcMessage[]): IrcMessage[] {
  if (!ctx.state.has('batch')) return [...lines];
  return [
    { source: ctx.server, verb: 'BATCH', params: [`+${id}`, type, ...params] },
    ...lines.map((l) => withTag(l, 'batch', id)),
    { source: ctx.server, verb: 'BATCH', params: [`-${id}`] },
  ];
}

export function withTag(line: IrcMessage, key: string, value: string): IrcMessage {
  const tags: Record<string, string> = line.tags instanceof Map ? Object.fromEntries(line.tags) : { ...line.tags };
  tags[key] = value;
  return { ...line, tags };
}
