/**
 * The numeric replies and standard replies (FAIL/WARN/NOTE) the IRC listener sends: one table of code
 * and, where the Modern IRC document gives every server the same words, that fixed last parameter.
 */
import type { IrcMessage, ParseError } from './message.js';

interface NumericSpec {
  readonly code: string;
  /** The fixed last parameter; without one, the caller gives every parameter. */
  readonly text?: string;
}

export const NUMERICS = {
  RPL_WELCOME: { code: '001' },
  RPL_YOURHOST: { code: '002' },
  RPL_CREATED: { code: '003' },
  RPL_MYINFO: { code: '004' },
  RPL_ISUPPORT: { code: '005', text: 'are supported by this server' },
  RPL_UMODEIS: { code: '221' },
  RPL_LUSERCLIENT: { code: '251' },
  RPL_LUSEROP: { code: '252', text: 'operator(s) online' },
  RPL_LUSERUNKNOWN: { code: '253', text: 'unknown connection(s)' },
  RPL_LUSERCHANNELS: { code: '254', text: 'channels formed' },
  RPL_LUSERME: { code: '255' },
  RPL_LOCALUSERS: { code: '265' },
  RPL_GLOBALUSERS: { code: '266' },
  RPL_AWAY: { code: '301' },
  RPL_UNAWAY: { code: '305', text: 'You are no longer marked as being away' },
  RPL_NOWAWAY: { code: '306', text: 'You have been marked as being away' },
  RPL_WHOISUSER: { code: '311' },
  RPL_WHOISSERVER: { code: '312' },
  RPL_WHOISOPERATOR: { code: '313', text: 'is an IRC operator' },
  RPL_WHOWASUSER: { code: '314' },
  RPL_ENDOFWHO: { code: '315', text: 'End of WHO list' },
  RPL_WHOISIDLE: { code: '317', text: 'seconds idle, signon time' },
  RPL_ENDOFWHOIS: { code: '318', text: 'End of /WHOIS list' },
  RPL_WHOISCHANNELS: { code: '319' },
  RPL_LISTSTART: { code: '321', text: 'Users  Name' },
  RPL_LIST: { code: '322' },
  RPL_LISTEND: { code: '323', text: 'End of /LIST' },
  RPL_CHANNELMODEIS: { code: '324' },
  RPL_CREATIONTIME: { code: '329' },
  RPL_WHOISACCOUNT: { code: '330', text: 'is logged in as' },
  RPL_NOTOPIC: { code: '331', text: 'No topic is set' },
  RPL_TOPIC: { code: '332' },
  RPL_TOPICWHOTIME: { code: '333' },
  RPL_INVITING: { code: '341' },
  RPL_WHOREPLY: { code: '352' },
  RPL_NAMREPLY: { code: '353' },
  RPL_ENDOFNAMES: { code: '366', text: 'End of /NAMES list' },
  RPL_BANLIST: { code: '367' },
  RPL_ENDOFBANLIST: { code: '368', text: 'End of channel ban list' },
  RPL_MOTD: { code: '372' },
  RPL_MOTDSTART: { code: '375' },
  RPL_ENDOFMOTD: { code: '376', text: 'End of /MOTD command.' },
  RPL_YOUREOPER: { code: '381', text: 'You are now an IRC operator' },
  ERR_NOSUCHNICK: { code: '401', text: 'No such nick/channel' },
  ERR_NOSUCHCHANNEL: { code: '403', text: 'No such channel' },
  ERR_CANNOTSENDTOCHAN: { code: '404', text: 'Cannot send to channel' },
  ERR_TOOMANYCHANNELS: { code: '405', text: 'You have joined too many channels' },
  ERR_INVALIDCAPCMD: { code: '410', text: 'Invalid CAP command' },
  ERR_NORECIPIENT: { code: '411' },
  ERR_NOTEXTTOSEND: { code: '412', text: 'No text to send' },
  ERR_INPUTTOOLONG: { code: '417', text: 'Input line was too long' },
  ERR_UNKNOWNCOMMAND: { code: '421', text: 'Unknown command' },
  ERR_NOMOTD: { code: '422', text: 'MOTD File is missing' },
  ERR_NONICKNAMEGIVEN: { code: '431', text: 'No nickname given' },
  ERR_ERRONEUSNICKNAME: { code: '432', text: 'Erroneous nickname' },
  ERR_NICKNAMEINUSE: { code: '433', text: 'Nickname is already in use' },
  ERR_NICKCOLLISION: { code: '436' },
  ERR_USERNOTINCHANNEL: { code: '441', text: "They aren't on that channel" },
  ERR_NOTONCHANNEL: { code: '442', text: "You're not on that channel" },
  ERR_USERONCHANNEL: { code: '443', text: 'is already on channel' },
  ERR_NOTREGISTERED: { code: '451', text: 'You have not registered' },
  ERR_NEEDMOREPARAMS: { code: '461', text: 'Not enough parameters' },
  ERR_ALREADYREGISTERED: { code: '462', text: 'You may not reregister' },
  ERR_PASSWDMISMATCH: { code: '464', text: 'Password incorrect' },
  ERR_YOUREBANNEDCREEP: { code: '465' },
  ERR_CHANNELISFULL: { code: '471', text: 'Cannot join channel (+l)' },
  ERR_UNKNOWNMODE: { code: '472', text: 'is unknown mode char to me' },
  ERR_INVITEONLYCHAN: { code: '473', text: 'Cannot join channel (+i)' },
  ERR_BANNEDFROMCHAN: { code: '474', text: 'Cannot join channel (+b)' },
  ERR_BADCHANNELKEY: { code: '475', text: 'Cannot join channel (+k)' },
  ERR_BADCHANMASK: { code: '476', text: 'Bad Channel Mask' },
  ERR_NOPRIVILEGES: { code: '481', text: "Permission Denied- You're not an IRC operator" },
  ERR_CHANOPRIVSNEEDED: { code: '482', text: "You're not channel operator" },
  ERR_UMODEUNKNOWNFLAG: { code: '501', text: 'Unknown MODE flag' },
  ERR_USERSDONTMATCH: { code: '502', text: "Can't change mode for other users" },
  RPL_LOGGEDIN: { code: '900' },
  RPL_LOGGEDOUT: { code: '901', text: 'You are now logged out' },
  ERR_NICKLOCKED: { code: '902', text: 'You must use a nick assigned to you' },
  RPL_SASLSUCCESS: { code: '903', text: 'SASL authentication successful' },
  ERR_SASLFAIL: { code: '904', text: 'SASL authentication failed' },
  ERR_SASLTOOLONG: { code: '905', text: 'SASL message too long' },
  ERR_SASLABORTED: { code: '906', text: 'SASL authentication aborted' },
  ERR_SASLALREADY: { code: '907', text: 'You have already authenticated using SASL' },
  RPL_SASLMECHS: { code: '908', text: 'are available SASL mechanisms' },
} as const satisfies Record<string, NumericSpec>;

export type NumericName = keyof typeof NUMERICS;

/** Who a numeric is addressed to before the client has a nick. */
export const UNREGISTERED_TARGET = '*';

/**
 * `:<server> <code> <nick> <params...>`, then the table's fixed text when the numeric has one:
 * numeric(server, 'bob', 'ERR_NOSUCHNICK', 'alice') is `:server 401 bob alice :No such nick/channel`.
 */
export function numeric(server: string, nick: string | null, name: NumericName, ...params: string[]): IrcMessage {
  const spec: NumericSpec = NUMERICS[name];
  const last = spec.text === undefined ? [] : [spec.text];
  return { source: server, verb: spec.code, params: [nick ?? UNREGISTERED_TARGET, ...params, ...last] };
}

/**
 * The codes of the standard replies (FAIL, WARN, NOTE) we send. All but INVALID_MESSAGE are in the
 * IRCv3 registry; the description says the rest in words.
 */
export const STANDARD_REPLY_CODES = {
  /** Any command: the line was not valid UTF-8 (we advertise UTF8ONLY). */
  INVALID_UTF8: 'INVALID_UTF8',
  /** Any command: the line held a NUL, or a CR not at its end. Ours: the registry has none for it. */
  INVALID_MESSAGE: 'INVALID_MESSAGE',
  /** Any command: only a logged-in user may do that. */
  ACCOUNT_REQUIRED: 'ACCOUNT_REQUIRED',
  /** CHATHISTORY: a subcommand parameter is malformed. */
  INVALID_PARAMS: 'INVALID_PARAMS',
  /** CHATHISTORY: the target is not a room or user the client may read. */
  INVALID_TARGET: 'INVALID_TARGET',
  /** CHATHISTORY: history could not be read. */
  MESSAGE_ERROR: 'MESSAGE_ERROR',
  /** CHATHISTORY: too few parameters. */
  NEED_MORE_PARAMS: 'NEED_MORE_PARAMS',
  /** CHATHISTORY: an unknown subcommand. */
  UNKNOWN_COMMAND: 'UNKNOWN_COMMAND',
} as const;

export type StandardReplyCode = keyof typeof STANDARD_REPLY_CODES;

/** `:<server> FAIL <command> <code> [<context>...] :<description>` (or WARN, NOTE). */
export function standardReply(
  server: string, kind: 'FAIL' | 'WARN' | 'NOTE', command: string | null, code: StandardReplyCode,
  context: readonly string[], description: string,
): IrcMessage {
  return { source: server, verb: kind, params: [command ?? '*', code, ...context, description] };
}

/**
 * The answer to a line parseMessage refused, or null for an empty line (ignored, as Modern IRC says).
 * The connection stays open for every one of them.
 */
export function parseErrorReply(server: string, nick: string | null, error: ParseError): IrcMessage | null {
  switch (error.reason) {
    case 'empty':
      return null;
    case 'too-long':
    case 'tags-too-long':
      return numeric(server, nick, 'ERR_INPUTTOOLONG');
    case 'no-verb':
      return numeric(server, nick, 'ERR_UNKNOWNCOMMAND', UNREGISTERED_TARGET);
    case 'bad-verb':
      return numeric(server, nick, 'ERR_UNKNOWNCOMMAND', shortVerb(error.verb));
    case 'invalid-utf8':
      return standardReply(server, 'FAIL', error.verb ?? null, 'INVALID_UTF8', [], 'Message rejected for containing invalid UTF-8');
    case 'bad-character':
      return standardReply(server, 'FAIL', error.verb ?? null, 'INVALID_MESSAGE', [], 'Message rejected for containing NUL, CR or LF');
  }
}

/** A refused verb as a 421 names it: at most 32 code points, so the reply fits its line. */
function shortVerb(verb: string | undefined): string {
  if (verb === undefined || verb === '') return UNREGISTERED_TARGET;
  return verb.length <= BAD_VERB_SHOWN ? verb : Array.from(verb).slice(0, BAD_VERB_SHOWN).join('');
}

const BAD_VERB_SHOWN = 32;
