/**
 * The text of an incoming PRIVMSG or NOTICE as our messages hold it: mIRC colour and format codes
 * stripped (our clients do not render them, and our text rules refuse control characters), and CTCP
 * recognised: ACTION becomes our `/me`, anything else (VERSION, PING, TIME...) is handed back to answer
 * or drop. And the way back: an action as a CTCP ACTION.
 */

const CTCP_DELIMITER = '\u0001';

// \x02 bold, \x1d italics, \x1f underline, \x1e strikethrough, \x11 monospace, \x16 reverse, \x0f reset;
// \x03 colour with up to two digits of foreground and, after a comma, of background (a comma without a
// digit after it is text); \x04 hex colour with RRGGBB and an optional ,RRGGBB.
const FORMATTING_RE = /[\u0002\u000f\u0011\u0016\u001d\u001e\u001f]|\u0003(?:\d{1,2}(?:,\d{1,2})?)?|\u0004(?:[0-9A-Fa-f]{6}(?:,[0-9A-Fa-f]{6})?)?/g;

/** `text` without its formatting and colour codes. */
export function stripFormatting(text: string): string {
  return text.replace(FORMATTING_RE, '');
}

/** CTCP queries a client may send us or another user; anything else is still reported, as unknown. */
export const CTCP_QUERIES = ['ACTION', 'CLIENTINFO', 'DCC', 'FINGER', 'PING', 'SOURCE', 'TIME', 'USERINFO', 'VERSION'] as const;
export type CtcpQuery = (typeof CTCP_QUERIES)[number];

export type IncomingText =
  /** Text for our `say` or `dm`, formatting stripped; `action` for a CTCP ACTION (our `/me`). */
  | { kind: 'text'; text: string; action: boolean }
  /** A CTCP other than ACTION: `command` upper-cased, `params` as sent (after one space). */
  | { kind: 'ctcp'; command: string; known: boolean; params: string };

/**
 * Reads the last parameter of a PRIVMSG or NOTICE. A CTCP message starts with \x01; its closing \x01
 * may be missing (the Modern IRC CTCP document allows that).
 */
export function readIncomingText(raw: string): IncomingText {
  if (!raw.startsWith(CTCP_DELIMITER)) return { kind: 'text', text: stripFormatting(raw), action: false };
  const body = raw.endsWith(CTCP_DELIMITER) && raw.length > 1 ? raw.slice(1, -1) : raw.slice(1);
  const space = body.indexOf(' ');
  const command = (space === -1 ? body : body.slice(0, space)).toUpperCase();
  const params = space === -1 ? '' : body.slice(space + 1);
  if (command === 'ACTION') return { kind: 'text', text: stripFormatting(params), action: true };
  return { kind: 'ctcp', command, known: (CTCP_QUERIES as readonly string[]).includes(command), params };
}

/** A CTCP message (or reply, sent in a NOTICE): `\x01COMMAND params\x01`. */
export function ctcp(command: string, params = ''): string {
  return `${CTCP_DELIMITER}${command}${params === '' ? '' : ` ${params}`}${CTCP_DELIMITER}`;
}

/** One line of an action as IRC clients show it: `\x01ACTION text\x01`. */
export function actionText(text: string): string {
  return ctcp('ACTION', text);
}

/** What a line of action text is wrapped in, for the split budget: prefix + ACTION_PREFIX, ACTION_SUFFIX. */
export const ACTION_PREFIX = `${CTCP_DELIMITER}ACTION `;
export const ACTION_SUFFIX = CTCP_DELIMITER;
