/**
 * RPL_ISUPPORT (005): the tokens that tell an IRC client our rules, each derived from the limit or
 * setting it describes so that it cannot drift from what the server enforces, and their packing into
 * 005 lines.
 */
import { NICK_MAX, REASON_MAX, ROOM_NAME_MAX, TOPIC_MAX } from '../../shared/limits.js';
import { CASEMAPPING, CHANTYPES } from './casemap.js';
import { formatMessage, type IrcMessage } from './message.js';
import { numeric } from './numerics.js';

export interface IsupportSettings {
  /** NETWORK: the server's name (--server-name). */
  network: string;
  /** CHANLIMIT: rooms one connection may be in (--max-rooms-per-connection). */
  maxRoomsPerConnection: number;
  /** TOPICLEN: the longest topic in bytes (--max-topic-bytes); see topicLength. */
  maxTopicBytes: number;
  /** MODES: parameter modes one MODE command may change. Absent, clients assume 3. */
  modesPerCommand?: number;
  /** CHATHISTORY and MSGREFTYPES, once draft/chathistory is served: the most messages one request returns. */
  chathistoryMax?: number;
  /** AWAYLEN, once the protocol has away messages. */
  awayLength?: number;
  /** TARGMAX: the most targets per command (a command missing from it takes one). */
  targetsPerCommand?: Readonly<Record<string, number>>;
  /** False (the default) advertises CLIENTTAGDENY=*: client-only tags are not relayed. */
  relayClientTags?: boolean;
}

/**
 * Channel modes by kind, as CHANMODES lists them: ban list (A); key, always with a parameter (B);
 * limit, with a parameter when set (C); invite-only, moderated, secret, topic by operators (D). These
 * are the room settings and lists of server/moderation/policy.ts; mutes and one-time invites have no
 * IRC mode.
 */
export const CHANMODES = 'b,k,l,imst';
/** Room operators and voiced users, in rank order. */
export const PREFIX = '(ov)@+';
/** A room name with its '#'. */
export const CHANNEL_LENGTH = ROOM_NAME_MAX + 1;

/**
 * The longest topic, in bytes, that we accept whatever its characters: topics are limited to
 * maxTopicBytes bytes and TOPIC_MAX characters, and a topic of n bytes has at most n characters.
 */
export function topicLength(maxTopicBytes: number): number {
  return Math.min(maxTopicBytes, TOPIC_MAX);
}

/** An ISUPPORT value with `\xHH` for the characters a value cannot hold (space, '\', '=', controls). */
export function escapeIsupportValue(value: string): string {
  return value.replace(/[\u0000-\u0020\\=\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function isupportTokens(settings: IsupportSettings): string[] {
  const tokens: string[] = [];
  if (settings.awayLength !== undefined) tokens.push(`AWAYLEN=${settings.awayLength}`);
  tokens.push(
    `CASEMAPPING=${CASEMAPPING}`,
    `CHANLIMIT=${CHANTYPES}:${settings.maxRoomsPerConnection}`,
    `CHANMODES=${CHANMODES}`,
    `CHANNELLEN=${CHANNEL_LENGTH}`,
    `CHANTYPES=${CHANTYPES}`,
  );
  if (settings.chathistoryMax !== undefined) tokens.push(`CHATHISTORY=${settings.chathistoryMax}`);
  if (settings.relayClientTags !== true) tokens.push('CLIENTTAGDENY=*');
  tokens.push(`KICKLEN=${REASON_MAX}`);
  if (settings.modesPerCommand !== undefined) tokens.push(`MODES=${settings.modesPerCommand}`);
  if (settings.chathistoryMax !== undefined) tokens.push('MSGREFTYPES=msgid,timestamp');
  tokens.push(`NETWORK=${escapeIsupportValue(settings.network)}`, `NICKLEN=${NICK_MAX}`, `PREFIX=${PREFIX}`);
  const targets = Object.entries(settings.targetsPerCommand ?? {});
  if (targets.length > 0) tokens.push(`TARGMAX=${targets.map(([command, n]) => `${command.toUpperCase()}:${n}`).join(',')}`);
  tokens.push(`TOPICLEN=${topicLength(settings.maxTopicBytes)}`, 'UTF8ONLY');
  return tokens;
}

/** Modern IRC: 005 has at most 15 parameters, the nick and the closing text among them. */
export const ISUPPORT_TOKENS_PER_LINE = 13;

/**
 * The 005 lines for `tokens`, in order: each with at most 13 tokens and within 512 bytes. Throws
 * RangeError for a token that is not one word or does not fit a line by itself (a configuration error,
 * e.g. a server name of hundreds of bytes): check at start-up.
 */
export function isupportReplies(server: string, nick: string, tokens: readonly string[]): IrcMessage[] {
  const replies: IrcMessage[] = [];
  let line: string[] = [];
  const fits = (candidate: string[]) => formatMessage(numeric(server, nick, 'RPL_ISUPPORT', ...candidate)).ok;
  for (const token of tokens) {
    if (token === '' || token.includes(' ') || token.startsWith(':')) {
      throw new RangeError(`ISUPPORT token ${JSON.stringify(token)} is not one word`);
    }
    if (line.length < ISUPPORT_TOKENS_PER_LINE && fits([...line, token])) {
      line.push(token);
      continue;
    }
    if (line.length === 0 || !fits([token])) throw new RangeError(`ISUPPORT token ${token.slice(0, 40)}... does not fit a line`);
    replies.push(numeric(server, nick, 'RPL_ISUPPORT', ...line));
    line = [token];
  }
  if (line.length > 0) replies.push(numeric(server, nick, 'RPL_ISUPPORT', ...line));
  return replies;
}
