/**
 * The only place protocol JSON is parsed. Each direction has one parse function that returns a typed
 * result and never throws; the output holds only the fields the schema knows, already normalized.
 */
import { ErrorCode, type ProtocolError } from './errors.js';
import {
  BAN_SECONDS_MAX, CLIENT_NAME_MAX, EMAIL_MAX, HISTORY_PAGE_MAX, MASK_MAX, MESSAGE_ID_MAX, PASSWORD_MAX, REASON_MAX, REF_MAX, TOPIC_MAX,
} from './limits.js';
import type { ClientMessage, ClientMessageType, ServerMessage, ServerMessageType } from './protocol.js';
import { searchQueryProblem } from './search.js';
import {
  codePointLength, isValidNick, isWellFormedText, lineProblem, normalizeRoom, textProblem,
} from './validate.js';

export interface ParseError extends ProtocolError {
  /** The request's `ref`, when one could be read, so the error can be matched to it. */
  readonly ref?: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: ParseError };

type Refined = { ok: true; value: unknown } | { ok: false; code: ErrorCode; message: string };
type JsonKind = 'string' | 'boolean' | 'integer' | 'array' | 'object';

interface FieldSpec {
  kind: JsonKind;
  optional?: boolean;
  /** Checks a value already known to be of `kind`, and may normalize it. */
  refine?: (value: never) => Refined;
}

type Schema = Record<string, FieldSpec>;

const good = (value: unknown): Refined => ({ ok: true, value });
const bad = (code: ErrorCode, message: string): Refined => ({ ok: false, code, message });

const nick = (field: string): FieldSpec => ({
  kind: 'string',
  refine: (v: string) => (isValidNick(v) ? good(v) : bad(ErrorCode.NICK_INVALID,
    `${field} must be 1-24 characters: a letter, then letters, digits or _-[]\\^{}|`)),
});
const room: FieldSpec = {
  kind: 'string',
  refine: (v: string) => {
    const name = normalizeRoom(v);
    return name ? good(name) : bad(ErrorCode.ROOM_INVALID, 'room must be # and 1-32 of A-Z a-z 0-9 _ -');
  },
};
const text: FieldSpec = {
  kind: 'string',
  refine: (v: string) => {
    const problem = textProblem(v);
    return problem ? bad(ErrorCode.TEXT_INVALID, problem) : good(v);
  },
};
const line = (field: string, max: number, code: ErrorCode, optional = true): FieldSpec => ({
  kind: 'string',
  optional,
  refine: (v: string) => {
    const problem = lineProblem(field, v, max);
    return problem ? bad(code, problem) : good(v);
  },
});
const intRange = (field: string, min: number, max: number): FieldSpec => ({
  kind: 'integer',
  optional: true,
  refine: (v: number) => (v >= min && v <= max ? good(v) : bad(ErrorCode.BAD_MESSAGE,
    `${field} must be an integer from ${min} to ${max}`)),
});
const query: FieldSpec = {
  kind: 'string',
  refine: (v: string) => {
    const problem = searchQueryProblem(v);
    return problem ? bad(ErrorCode.TEXT_INVALID, problem) : good(v);
  },
};
const optionalFlag: FieldSpec = { kind: 'boolean', optional: true };
const ref: FieldSpec = line('ref', REF_MAX, ErrorCode.BAD_MESSAGE);
const password = (field: string): FieldSpec => line(field, PASSWORD_MAX, ErrorCode.BAD_MESSAGE, false);
const optionalRoom: FieldSpec = { ...room, optional: true };
const mask: FieldSpec = line('mask', MASK_MAX, ErrorCode.BAD_MESSAGE, false);

const CLIENT_SCHEMAS: Record<ClientMessageType, Schema> = {
  hello: {
    nick: nick('nick'),
    password: line('password', PASSWORD_MAX, ErrorCode.BAD_MESSAGE),
    client: line('client', CLIENT_NAME_MAX, ErrorCode.BAD_MESSAGE),
    lobby: optionalFlag,
    ref,
  },
  join: { room, key: line('key', PASSWORD_MAX, ErrorCode.BAD_MESSAGE), ref },
  part: { room, reason: line('reason', REASON_MAX, ErrorCode.BAD_MESSAGE), ref },
  say: { room, text, action: optionalFlag, ref },
  dm: { to: nick('to'), text, action: optionalFlag, ref },
  nick: { nick: nick('nick'), ref },
  topic: { room, topic: line('topic', TOPIC_MAX, ErrorCode.TEXT_INVALID, false), ref },
  history: {
    room,
    before: intRange('before', 1, Number.MAX_SAFE_INTEGER),
    after: intRange('after', 0, Number.MAX_SAFE_INTEGER),
    limit: intRange('limit', 1, HISTORY_PAGE_MAX),
    ref,
  },
  locate: {
    room,
    id: line('id', MESSAGE_ID_MAX, ErrorCode.BAD_MESSAGE),
    ts: intRange('ts', 0, Number.MAX_SAFE_INTEGER),
    ref,
  },
  search: {
    room,
    query,
    before: intRange('before', 1, Number.MAX_SAFE_INTEGER),
    limit: intRange('limit', 1, HISTORY_PAGE_MAX),
    ref,
  },
  rooms: { from: intRange('from', 0, Number.MAX_SAFE_INTEGER), ref },
  who: { room, ref },
  ping: { ref },
  quit: { reason: line('reason', REASON_MAX, ErrorCode.BAD_MESSAGE), ref },
  away: { reason: line('reason', REASON_MAX, ErrorCode.BAD_MESSAGE), ref },
  whois: { nick: nick('nick'), ref },
  stats: { ref },
  read: { room, seq: { ...intRange('seq', 0, Number.MAX_SAFE_INTEGER), optional: false }, ref },
  register: { password: password('password'), email: line('email', EMAIL_MAX, ErrorCode.BAD_MESSAGE), ref },
  identify: { password: password('password'), account: { ...nick('account'), optional: true }, ref },
  password: { old: password('old'), new: password('new'), ref },
  drop: { password: password('password'), ref },
  ghost: { nick: nick('nick'), password: password('password'), ref },
  operator: { account: nick('account'), grant: { kind: 'boolean' }, ref },
  kill: { nick: nick('nick'), reason: line('reason', REASON_MAX, ErrorCode.BAD_MESSAGE), ref },
  ban: { room: optionalRoom, mask, duration: intRange('duration', 1, BAN_SECONDS_MAX), reason: line('reason', REASON_MAX, ErrorCode.BAD_MESSAGE), ref },
  unban: { room: optionalRoom, mask, ref },
  bans: { room: optionalRoom, ref },
  kick: { room, nick: nick('nick'), reason: line('reason', REASON_MAX, ErrorCode.BAD_MESSAGE), ref },
  mute: { room, mask, duration: intRange('duration', 1, BAN_SECONDS_MAX), reason: line('reason', REASON_MAX, ErrorCode.BAD_MESSAGE), ref },
  unmute: { room, mask, ref },
  role: {
    room,
    account: nick('account'),
    role: { kind: 'string', refine: (v: string) => (['op', 'voice', 'none'].includes(v) ? good(v) : bad(ErrorCode.BAD_MESSAGE, "role must be 'op', 'voice' or 'none'")) },
    ref,
  },
  invite: { room, nick: nick('nick'), ref },
  settings: {
    room,
    inviteOnly: optionalFlag,
    key: line('key', PASSWORD_MAX, ErrorCode.BAD_MESSAGE),
    moderated: optionalFlag,
    secret: optionalFlag,
    topicOps: optionalFlag,
    limit: { ...intRange('limit', 0, 10_000_000) },
    ref,
  },
};

// The client checks the shape of what it renders, but trusts the server's name rules.
const str: FieldSpec = { kind: 'string' };
const optStr: FieldSpec = { kind: 'string', optional: true };
const int: FieldSpec = { kind: 'integer' };
const chatMessageFields: Schema = {
  room: str, id: str, seq: int, from: str, text: str, ts: int, action: optionalFlag, account: optStr,
};
const chatMessages: FieldSpec = {
  kind: 'array',
  refine: (v: unknown[]) => {
    const out: unknown[] = [];
    for (const item of v) {
      const r = readFields(item, chatMessageFields);
      if (!r.ok) return bad(r.code, `messages[]: ${r.message}`);
      out.push(r.value);
    }
    return good(out);
  },
};
const roomInfos: FieldSpec = {
  kind: 'array',
  refine: (v: unknown[]) => {
    const out: unknown[] = [];
    for (const item of v) {
      const r = readFields(item, { name: str, users: int, topic: str });
      if (!r.ok) return bad(r.code, `rooms[]: ${r.message}`);
      out.push(r.value);
    }
    return good(out);
  },
};
const nickList = (field: string, optional = false): FieldSpec => ({
  kind: 'array',
  optional,
  refine: (v: unknown[]) => (v.every((n) => typeof n === 'string') ? good(v) :
    bad(ErrorCode.BAD_MESSAGE, `${field} must be strings`)),
});

/** `who.accounts`: an account name or null (a guest) for each listed member. */
const accountList: FieldSpec = {
  kind: 'array',
  optional: true,
  refine: (v: unknown[]) => (v.every((a) => typeof a === 'string' || a === null) ? good(v) :
    bad(ErrorCode.BAD_MESSAGE, 'accounts must be strings or null')),
};

const roomSettings = (optional: boolean): FieldSpec => ({
  kind: 'object',
  optional,
  refine: (v: object) => {
    const r = readFields(v, {
      inviteOnly: optionalFlag, key: optStr, moderated: optionalFlag, secret: optionalFlag, topicOps: optionalFlag, limit: { kind: 'integer', optional: true },
    });
    return r.ok ? good(r.value) : bad(r.code, `settings: ${r.message}`);
  },
});

const limits: FieldSpec = {
  kind: 'object',
  optional: true,
  refine: (v: object) => {
    const r = readFields(v, { rate: int, burst: int });
    return r.ok ? good(r.value) : bad(r.code, `limits: ${r.message}`);
  },
};

const SERVER_SCHEMAS: Record<ServerMessageType, Schema> = {
  welcome: { sid: str, nick: str, server: str, version: int, motd: optStr, limits, account: optStr },
  joined: { room: str, nick: str, ts: int, away: optStr, account: optStr, role: optStr },
  left: { room: str, nick: str, reason: optStr, quit: optionalFlag, by: optStr },
  message: chatMessageFields,
  ack: { ref: str, id: str, seq: int, ts: int },
  dm: { id: str, from: str, to: str, text: str, ts: int, action: optionalFlag, ref: optStr, away: optStr, account: optStr },
  nick: { old: str, new: str },
  topic: { room: str, topic: str, by: str, ts: int },
  history: { room: str, messages: chatMessages, more: { kind: 'boolean' } },
  search: { room: str, query: str, messages: chatMessages, more: { kind: 'boolean' }, ref: optStr },
  rooms: { rooms: roomInfos, total: { kind: 'integer', optional: true }, more: optionalFlag, next: { kind: 'integer', optional: true } },
  who: {
    room: str, users: nickList('users'), total: int, topic: optStr, away: nickList('away', true), accounts: accountList,
    ops: nickList('ops', true), voiced: nickList('voiced', true), settings: roomSettings(true),
  },
  located: { room: str, seq: { kind: 'integer', optional: true }, ref: optStr },
  pong: { ref: optStr },
  error: { code: str, message: str, ref: optStr },
  bye: { reason: str },
  account: { account: optStr, ref: optStr },
  moderation: { room: str, by: str, action: str, detail: str, reason: optStr, ts: int },
  role: { room: str, nick: str, role: str, was: str, by: optStr },
  settings: { room: str, settings: roomSettings(false), changed: nickList('changed'), by: optStr },
  invited: { room: str, by: str },
  bans: {
    room: optStr,
    bans: {
      kind: 'array',
      refine: (v: unknown[]) => {
        const out: unknown[] = [];
        for (const item of v) {
          const r = readFields(item, { mask: str, by: str, reason: str, created: int, expires: { kind: 'integer', optional: true } });
          if (!r.ok) return bad(r.code, `bans[]: ${r.message}`);
          out.push(r.value);
        }
        return good(out);
      },
    },
    ref: optStr,
  },
  notice: { text: str, ref: optStr },
  away: { nick: str, reason: optStr, ref: optStr },
  login: { nick: str, account: optStr },
  whois: { nick: str, account: optStr, away: optStr, ref: optStr },
  stats: { users: int, rooms: int, servers: int, localUsers: int, maxLocalUsers: int, operators: int, ref: optStr },
  read: { room: str, seq: int, ref: optStr },
};

function kindOf(value: unknown): JsonKind | 'null' | 'number' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isSafeInteger(value) ? 'integer' : 'number';
  return typeof value as JsonKind;
}

type FieldsResult = { ok: true; value: Record<string, unknown> } | { ok: false; code: ErrorCode; message: string };

function readFields(input: unknown, schema: Schema): FieldsResult {
  if (kindOf(input) !== 'object') return { ok: false, code: ErrorCode.BAD_MESSAGE, message: 'expected a JSON object' };
  const source = input as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const name in schema) {
    const spec = schema[name]!;
    const value = Object.hasOwn(source, name) ? source[name] : undefined;
    if (value === undefined) {
      if (spec.optional) continue;
      return { ok: false, code: ErrorCode.BAD_MESSAGE, message: `missing field '${name}'` };
    }
    if (kindOf(value) !== spec.kind) {
      return { ok: false, code: ErrorCode.BAD_MESSAGE, message: `field '${name}' must be ${article(spec.kind)}` };
    }
    // JSON's `-0` reads as -0, which JSON.stringify writes back as 0: + 0 makes it 0 from the start.
    const read = spec.kind === 'integer' ? (value as number) + 0 : value;
    if (spec.refine) {
      const r = spec.refine(read as never);
      if (!r.ok) return r;
      out[name] = r.value;
    } else {
      out[name] = read;
    }
  }
  return { ok: true, value: out };
}

function article(kind: JsonKind): string {
  return kind === 'integer' || kind === 'array' || kind === 'object' ? `an ${kind}` : `a ${kind}`;
}

function parseWith<T>(raw: string, schemas: Record<string, Schema>): Parsed<T> {
  let input: unknown;
  try {
    input = JSON.parse(raw);
  } catch {
    return { ok: false, error: { code: ErrorCode.BAD_JSON, message: 'message is not valid JSON' } };
  }
  return checkWith<T>(input, schemas);
}

/** The first `max` UTF-16 units of `s` for an error message, never ending in half a pair or holding a lone one. */
function echoable(s: string, max: number): string {
  let cut = s.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  if (cut.length < s.length && last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return isWellFormedText(cut) ? cut : cut.replace(/\p{Cs}/gu, '\ufffd');
}

function checkWith<T>(input: unknown, schemas: Record<string, Schema>): Parsed<T> {
  if (kindOf(input) !== 'object') {
    return { ok: false, error: { code: ErrorCode.BAD_MESSAGE, message: 'message must be a JSON object' } };
  }
  const obj = input as Record<string, unknown>;
  // Same length rule as the `ref` field (code points), so every ref that would be accepted is echoed;
  // a ref with a lone surrogate (no UTF-8 form) never is.
  const refValue = typeof obj.ref === 'string' && codePointLength(obj.ref, REF_MAX) <= REF_MAX
    && isWellFormedText(obj.ref) ? obj.ref : undefined;
  const withRef = (code: ErrorCode, message: string): Parsed<T> => ({
    ok: false,
    error: refValue === undefined ? { code, message } : { code, message, ref: refValue },
  });
  const type = obj.type;
  if (typeof type !== 'string') return withRef(ErrorCode.BAD_MESSAGE, "missing field 'type'");
  const schema = Object.hasOwn(schemas, type) ? schemas[type] : undefined;
  if (!schema) return withRef(ErrorCode.BAD_MESSAGE, `unknown message type '${echoable(type, 32)}'`);
  const fields = readFields(obj, schema);
  if (!fields.ok) return withRef(fields.code, fields.message);
  return { ok: true, value: { type, ...fields.value } as T };
}

/** Parses one client frame or line. Never throws. */
export function parseClientMessage(raw: string): Parsed<ClientMessage> {
  return parseWith<ClientMessage>(raw, CLIENT_SCHEMAS);
}

/** Parses one server frame or line (the client's side). Never throws. */
export function parseServerMessage(raw: string): Parsed<ServerMessage> {
  return parseWith<ServerMessage>(raw, SERVER_SCHEMAS);
}

/** Checks an already-decoded client message (e.g. one built from a slash command). Never throws. */
export function validateClientMessage(input: unknown): Parsed<ClientMessage> {
  return checkWith<ClientMessage>(input, CLIENT_SCHEMAS);
}

export const CLIENT_MESSAGE_TYPES = Object.keys(CLIENT_SCHEMAS) as ClientMessageType[];
