/**
 * One IRC line to a message and back: the grammar of the Modern IRC client protocol document with
 * IRCv3 message-tags. Pure and socket-free; parsing returns a typed result and never throws.
 */
import { Buffer, isUtf8 } from 'node:buffer';
import { isWellFormedText } from '../../shared/validate.js';

/** A line without its CRLF may be this long, tags not counted (512 with CRLF). */
export const BODY_MAX_BYTES = 510;
/** Tag data a client may send, without the leading '@' and the space after it (IRCv3 message-tags). */
export const CLIENT_TAG_DATA_MAX_BYTES = 4094;
/** The whole tag section of a line the server sends, '@' and trailing space included. */
export const TAG_SECTION_MAX_BYTES = 8191;
/** The longest line a client may send, CRLF excluded: the cap for the transport's line splitter. */
export const CLIENT_LINE_MAX_BYTES = 1 + CLIENT_TAG_DATA_MAX_BYTES + 1 + BODY_MAX_BYTES;
/** RFC 1459 and Modern IRC: at most 15 parameters. */
export const PARAMS_MAX = 15;

export type Tags = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

/** A message to send. A tag whose value is '' is sent without '='. */
export interface IrcMessage {
  tags?: Tags;
  source?: string;
  verb: string;
  params: readonly string[];
}

/** A message as read from a line: the verb uppercased, a missing tag value as ''. */
export interface ParsedMessage {
  tags: Map<string, string>;
  source?: string;
  verb: string;
  params: string[];
}

export type ParseReason =
  | 'empty'
  | 'bad-character'
  | 'invalid-utf8'
  | 'tags-too-long'
  | 'too-long'
  | 'no-verb'
  | 'bad-verb';

export interface ParseError {
  reason: ParseReason;
  message: string;
  /** The verb, when one could be read (for 421, or the command of a FAIL). */
  verb?: string;
}

export type ParseResult = { ok: true; value: ParsedMessage } | { ok: false; error: ParseError };

export interface LineLimits {
  /** Bytes of tag data, without '@' and the space after it. */
  tagDataBytes: number;
  /** Bytes of the rest of the line. */
  bodyBytes: number;
}

export const CLIENT_LIMITS: LineLimits = { tagDataBytes: CLIENT_TAG_DATA_MAX_BYTES, bodyBytes: BODY_MAX_BYTES };

const VERB_RE = /^(?:[A-Za-z]+|[0-9]{3})$/;
// An optional client-only '+', an optional vendor (a host name) and '/', then the key name.
const TAG_KEY_RE = /^\+?(?:[A-Za-z0-9.-]+\/)?[A-Za-z0-9-]+$/;
// NUL, CR and LF end or break a line on the wire; nothing may carry them.
const LINE_BREAKING_RE = /[\0\r\n]/;

const fail = (reason: ParseReason, message: string, verb?: string): ParseResult =>
  ({ ok: false, error: verb === undefined ? { reason, message } : { reason, message, verb } });

/**
 * Parses raw line bytes (CRLF already removed): refuses invalid UTF-8, still naming the verb when the
 * rest of the line can be read, so the answer can be `FAIL <verb> INVALID_UTF8`.
 */
export function parseLine(bytes: Uint8Array, limits: LineLimits = CLIENT_LIMITS): ParseResult {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (isUtf8(bytes)) return parseMessage(text, limits);
  const lossy = parseMessage(text, limits);
  const verb = lossy.ok ? lossy.value.verb : lossy.error.verb;
  return fail('invalid-utf8', 'line is not valid UTF-8', verb !== undefined && VERB_RE.test(verb) ? verb : undefined);
}

/** Parses one line (CRLF already removed). Runs of spaces separate words, as RFC 1459 has it. */
export function parseMessage(line: string, limits: LineLimits = CLIENT_LIMITS): ParseResult {
  if (LINE_BREAKING_RE.test(line)) return fail('bad-character', 'line contains NUL, CR or LF', verbOf(line));
  if (!isWellFormedText(line)) return fail('invalid-utf8', 'line is not valid UTF-8', verbOf(line));

  let i = skipSpaces(line, 0);
  if (i === line.length) return fail('empty', 'line is empty');

  const tags = new Map<string, string>();
  let bodyStart = 0;
  if (line[i] === '@') {
    const end = line.indexOf(' ', i);
    const tagData = line.slice(i + 1, end === -1 ? line.length : end);
    if (Buffer.byteLength(tagData) > limits.tagDataBytes) {
      return fail('tags-too-long', `tags are longer than ${limits.tagDataBytes} bytes`, verbOf(line));
    }
    if (end === -1) return fail('no-verb', 'line has tags and no command');
    readTags(tagData, tags);
    bodyStart = end + 1;
    i = skipSpaces(line, bodyStart);
  }
  if (Buffer.byteLength(bodyStart === 0 ? line : line.slice(bodyStart)) > limits.bodyBytes) {
    return fail('too-long', `line is longer than ${limits.bodyBytes} bytes`, verbOf(line));
  }

  let source: string | undefined;
  if (line[i] === ':') {
    const end = line.indexOf(' ', i);
    if (end === -1) return fail('no-verb', 'line has a source and no command');
    if (end > i + 1) source = line.slice(i + 1, end);
    i = skipSpaces(line, end);
  }
  if (i === line.length) return fail('no-verb', 'line has no command');

  const verbEnd = wordEnd(line, i);
  const verb = line.slice(i, verbEnd).toUpperCase();
  if (!VERB_RE.test(verb)) return fail('bad-verb', 'command must be letters or a three-digit numeric', verb);

  const params: string[] = [];
  i = skipSpaces(line, verbEnd);
  while (i < line.length) {
    if (line[i] === ':') {
      params.push(line.slice(i + 1));
      break;
    }
    const end = wordEnd(line, i);
    params.push(line.slice(i, end));
    i = skipSpaces(line, end);
  }
  const value: ParsedMessage = source === undefined ? { tags, verb, params } : { tags, source, verb, params };
  return { ok: true, value };
}

function skipSpaces(line: string, i: number): number {
  while (i < line.length && line.charCodeAt(i) === 0x20) i++;
  return i;
}

function wordEnd(line: string, i: number): number {
  const end = line.indexOf(' ', i);
  return end === -1 ? line.length : end;
}

/** The verb of a line refused before it was parsed, when one can be read, for the answer to name. */
function verbOf(line: string): string | undefined {
  let i = skipSpaces(line, 0);
  if (line[i] === '@') i = skipSpaces(line, wordEnd(line, i));
  if (line[i] === ':') i = skipSpaces(line, wordEnd(line, i));
  const verb = line.slice(i, wordEnd(line, i)).toUpperCase();
  return VERB_RE.test(verb) ? verb : undefined;
}

/** Later duplicates win; empty items (`a;;b`, a trailing `;`) and keys that break the key grammar are dropped. */
function readTags(data: string, into: Map<string, string>): void {
  for (const item of data.split(';')) {
    const eq = item.indexOf('=');
    const key = eq === -1 ? item : item.slice(0, eq);
    if (!TAG_KEY_RE.test(key)) continue;
    into.set(key, eq === -1 ? '' : unescapeTagValue(item.slice(eq + 1)));
  }
}

const UNESCAPES: Record<string, string> = { ':': ';', s: ' ', '\\': '\\', r: '\r', n: '\n' };
const ESCAPES: Record<string, string> = { ';': '\\:', ' ': '\\s', '\\': '\\\\', '\r': '\\r', '\n': '\\n' };

/** `\:` `\s` `\\` `\r` `\n` are decoded; a backslash before any other character is dropped, as is a trailing one. */
export function unescapeTagValue(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = raw[++i];
    if (next !== undefined) out += UNESCAPES[next] ?? next;
  }
  return out;
}

export function escapeTagValue(value: string): string {
  return value.replace(/[; \\\r\n]/g, (c) => ESCAPES[c]!);
}

export function isTagKey(key: string): boolean {
  return TAG_KEY_RE.test(key);
}

/** Only the client-only tags (`+typing`, `+draft/reply`...): the ones a server may relay from a client. */
export function clientOnlyTags(tags: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of tags) if (key.startsWith('+')) out.set(key, value);
  return out;
}

export type FormatReason =
  | 'bad-tag'
  | 'bad-source'
  | 'bad-verb'
  | 'bad-param'
  | 'too-many-params'
  | 'not-unicode'
  | 'tags-too-long'
  | 'too-long';

export interface FormatError {
  reason: FormatReason;
  message: string;
}

export type FormatResult = { ok: true; value: string } | { ok: false; error: FormatError };

const refuse = (reason: FormatReason, message: string): FormatResult => ({ ok: false, error: { reason, message } });

function tagEntries(tags: Tags | undefined): Iterable<[string, string]> {
  if (tags === undefined) return [];
  return tags instanceof Map ? tags : Object.entries(tags);
}

/**
 * The line for a message, without CRLF. The last parameter gets a ':' only when it needs one (empty,
 * with a space, or starting with ':'). Refuses anything that would not read back as the same message,
 * and lines over the limits: 510 bytes after the tags, 8191 bytes of tags.
 */
export function formatMessage(message: IrcMessage): FormatResult {
  const tagParts: string[] = [];
  for (const [key, value] of tagEntries(message.tags)) {
    if (!TAG_KEY_RE.test(key)) return refuse('bad-tag', `tag key ${JSON.stringify(key)} is not a valid key`);
    if (value.includes('\0')) return refuse('bad-tag', `tag ${key} contains NUL`);
    tagParts.push(value === '' ? key : `${key}=${escapeTagValue(value)}`);
  }
  const tagSection = tagParts.length === 0 ? '' : `@${tagParts.join(';')} `;
  if (Buffer.byteLength(tagSection) > TAG_SECTION_MAX_BYTES) {
    return refuse('tags-too-long', `tags are longer than ${TAG_SECTION_MAX_BYTES} bytes`);
  }

  const { source, verb, params } = message;
  if (source !== undefined && (source === '' || /[\0\r\n ]/.test(source))) {
    return refuse('bad-source', 'source must be non-empty, without spaces, NUL, CR or LF');
  }
  if (!VERB_RE.test(verb)) return refuse('bad-verb', 'command must be letters or a three-digit numeric');
  if (params.length > PARAMS_MAX) return refuse('too-many-params', `more than ${PARAMS_MAX} parameters`);

  let body = source === undefined ? verb : `:${source} ${verb}`;
  for (let n = 0; n < params.length; n++) {
    const param = params[n]!;
    if (LINE_BREAKING_RE.test(param)) return refuse('bad-param', `parameter ${n + 1} contains NUL, CR or LF`);
    const last = n === params.length - 1;
    const needsColon = param === '' || param.includes(' ') || param.startsWith(':');
    if (needsColon && !last) {
      return refuse('bad-param', `parameter ${n + 1} is empty, has a space or starts with ':' and is not the last`);
    }
    body += needsColon ? ` :${param}` : ` ${param}`;
  }
  if (Buffer.byteLength(body) > BODY_MAX_BYTES) return refuse('too-long', `line is longer than ${BODY_MAX_BYTES} bytes`);
  const line = tagSection + body;
  // A lone surrogate has no UTF-8 form: it would go out as U+FFFD and read back changed.
  if (!isWellFormedText(line)) return refuse('not-unicode', 'message contains an unpaired surrogate');
  return { ok: true, value: line };
}

/** `nick!user@host` to its parts; a part that is absent is ''. */
export function splitSource(source: string): { nick: string; user: string; host: string } {
  const at = source.indexOf('@');
  const host = at === -1 ? '' : source.slice(at + 1);
  const nickUser = at === -1 ? source : source.slice(0, at);
  const bang = nickUser.indexOf('!');
  return bang === -1
    ? { nick: nickUser, user: '', host }
    : { nick: nickUser.slice(0, bang), user: nickUser.slice(bang + 1), host };
}
