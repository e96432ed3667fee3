/**
 * Property-based tests of shared/parse.ts (fast-check, random seed each run: a failure prints the seed
 * and the shrunk input; PROPERTY_SEED=<seed> replays it). Whatever arrives, the parsers never
 * throw and every refusal carries a code of shared/errors.ts (the set docs/protocol.md documents); what
 * they accept holds only the schema's fields and survives a JSON round trip unchanged; a `ref` that can be
 * echoed is.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import {
  BAN_SECONDS_MAX, CLIENT_MESSAGE_TYPES, ErrorCode, HISTORY_PAGE_MAX, parseClientMessage, parseServerMessage, REF_MAX, TEXT_MAX,
  validateClientMessage, type ClientMessageType,
} from '../../shared/index.js';
import {
  edgeString, fieldString, fieldValue, limitString, nickArb, nonJsonValue, prototypeKey, rawNumber, roomArb, runs,
} from '../helpers/arbitraries.js';

const CODES = new Set<string>(Object.values(ErrorCode));
const LONE_SURROGATE = /\p{Cs}/u;

/** The fields each client message may carry (shared/protocol.ts), besides `type`. */
const CLIENT_FIELDS: Record<ClientMessageType, string[]> = {
  hello: ['nick', 'password', 'client', 'lobby', 'ref'],
  join: ['room', 'key', 'ref'],
  part: ['room', 'reason', 'ref'],
  say: ['room', 'text', 'action', 'ref'],
  dm: ['to', 'text', 'action', 'ref'],
  nick: ['nick', 'ref'],
  topic: ['room', 'topic', 'ref'],
  history: ['room', 'before', 'after', 'limit', 'ref'],
  locate: ['room', 'id', 'ts', 'ref'],
  search: ['room', 'query', 'before', 'limit', 'ref'],
  rooms: ['from', 'ref'],
  who: ['room', 'ref'],
  ping: ['ref'],
  quit: ['reason', 'ref'],
  away: ['reason', 'ref'],
  whois: ['nick', 'ref'],
  stats: ['ref'],
  read: ['room', 'seq', 'ref'],
  register: ['password', 'email', 'ref'],
  identify: ['password', 'account', 'ref'],
  password: ['old', 'new', 'ref'],
  drop: ['password', 'ref'],
  ghost: ['nick', 'password', 'ref'],
  operator: ['account', 'grant', 'ref'],
  kill: ['nick', 'reason', 'ref'],
  ban: ['room', 'mask', 'duration', 'reason', 'ref'],
  unban: ['room', 'mask', 'ref'],
  bans: ['room', 'ref'],
  kick: ['room', 'nick', 'reason', 'ref'],
  mute: ['room', 'mask', 'duration', 'reason', 'ref'],
  unmute: ['room', 'mask', 'ref'],
  role: ['room', 'account', 'role', 'ref'],
  invite: ['room', 'nick', 'ref'],
  settings: ['room', 'inviteOnly', 'key', 'moderated', 'secret', 'topicOps', 'limit', 'ref'],
};

const SERVER_FIELDS: Record<string, string[]> = {
  welcome: ['sid', 'nick', 'server', 'version', 'motd', 'limits', 'account'],
  joined: ['room', 'nick', 'ts', 'away', 'account'],
  left: ['room', 'nick', 'reason'],
  message: ['room', 'id', 'seq', 'from', 'text', 'ts', 'action', 'account'],
  ack: ['ref', 'id', 'seq', 'ts'],
  dm: ['id', 'from', 'to', 'text', 'ts', 'action', 'ref', 'away', 'account'],
  nick: ['old', 'new'],
  topic: ['room', 'topic', 'by', 'ts'],
  history: ['room', 'messages', 'more'],
  search: ['room', 'query', 'messages', 'more', 'ref'],
  rooms: ['rooms', 'total', 'more', 'next'],
  who: ['room', 'users', 'total', 'topic', 'away', 'accounts'],
  pong: ['ref'],
  error: ['code', 'message', 'ref'],
  bye: ['reason'],
  account: ['account', 'ref'],
  notice: ['text', 'ref'],
  bans: ['room', 'bans', 'ref'],
  moderation: ['room', 'by', 'action', 'detail', 'reason', 'ts'],
  invited: ['room', 'by'],
  away: ['nick', 'reason', 'ref'],
  login: ['nick', 'account'],
  whois: ['nick', 'account', 'away', 'ref'],
  stats: ['users', 'rooms', 'servers', 'localUsers', 'maxLocalUsers', 'operators', 'ref'],
  read: ['room', 'seq', 'ref'],
};

type Outcome = { ok: true; value: unknown } | { ok: false; error: { code: string; message: string; ref?: string } };

/** What every answer of a parser must be, whatever it was given. */
function expectWellFormed(result: Outcome): void {
  if (result.ok) {
    assert.equal(typeof result.value, 'object');
    return;
  }
  assert.ok(CODES.has(result.error.code), `undocumented code ${result.error.code}`);
  assert.ok(typeof result.error.message === 'string' && result.error.message.length > 0, 'an error without a message');
  // Errors go out as UTF-8 JSON: an echoed lone surrogate would reach the peer as U+FFFD or worse.
  assert.ok(!LONE_SURROGATE.test(result.error.message), `a lone surrogate in ${JSON.stringify(result.error.message)}`);
}

/** An accepted client message: only schema fields, a plain object, a fixed point of validation and of JSON. */
function expectCleanClientMessage(value: Record<string, unknown>): void {
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  const allowed = ['type', ...CLIENT_FIELDS[value.type as ClientMessageType]];
  for (const key of Reflect.ownKeys(value)) assert.ok(allowed.includes(key as string), `field ${String(key)} passed through`);
  assert.deepStrictEqual(validateClientMessage(value), { ok: true, value });
  assert.deepStrictEqual(parseClientMessage(JSON.stringify(value)), { ok: true, value });
}

/** A `ref` the parser can echo: a well-formed string of at most REF_MAX code points. */
function echoableRef(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const ref = (input as { ref?: unknown }).ref;
  return typeof ref === 'string' && !LONE_SURROGATE.test(ref) && [...ref].length <= REF_MAX ? ref : undefined;
}

function expectRefEchoed(input: unknown, result: Outcome): void {
  if (result.ok) return;
  assert.equal(result.error.ref, echoableRef(input));
}

/** A client message of `type` whose fields are named by the schema, by an attacker, or made up. */
const nearClientEntries = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...CLIENT_MESSAGE_TYPES) },
  { weight: 1, arbitrary: fc.oneof(edgeString(12), prototypeKey, fc.constantFrom('HELLO', 'say ', 'error', 'welcome')) },
).chain((type) => {
  const known = Object.hasOwn(CLIENT_FIELDS, type) ? CLIENT_FIELDS[type as ClientMessageType] : ['room', 'text', 'nick', 'ref'];
  const key = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...known) },
    { weight: 1, arbitrary: prototypeKey },
    { weight: 1, arbitrary: edgeString(8) },
  );
  const typeValue = fc.oneof({ weight: 12, arbitrary: fc.constant<unknown>(type) }, { weight: 1, arbitrary: fieldValue });
  return fc.tuple(typeValue, fc.array(fc.tuple(key, fieldValue), { maxLength: 6 }));
});

/** The same message as an object (own `__proto__` keys and all, as JSON.parse makes them). */
function asObject([type, entries]: [unknown, [string, unknown][]]): Record<string, unknown> {
  return Object.fromEntries([['type', type], ...entries]);
}

/** The same message as JSON text, where a number may be a literal JavaScript cannot hold exactly and keys may repeat. */
const nearClientRaw = fc
  .tuple(nearClientEntries, fc.array(fc.tuple(fc.constantFrom('before', 'limit', 'from', 'action', 'ref', 'type'), rawNumber), { maxLength: 2 }))
  .map(([[type, entries], literals]) => {
    const parts = [[JSON.stringify('type'), JSON.stringify(type) ?? 'null'], ...entries.map(([k, v]) => [JSON.stringify(k), JSON.stringify(v) ?? 'null'])];
    for (const [k, literal] of literals) parts.push([JSON.stringify(k), literal]);
    return `{${parts.map(([k, v]) => `${k}:${v}`).join(',')}}`;
  });

const roomsAfterParse = (room: string) => (room.startsWith('#') ? room : `#${room}`);
const lineChar = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => !/[\u0000-\u001f\u007f-\u009f]/.test(c));
const validLine = (max: number) => fc.oneof(
  { weight: 9, arbitrary: fc.string({ unit: lineChar, maxLength: max }) },
  { weight: 1, arbitrary: fc.constantFrom('a', '😀').map((c) => c.repeat(max)) },
);
const textChar = fc.oneof({ weight: 8, arbitrary: lineChar }, { weight: 1, arbitrary: fc.constantFrom('\n', '\t') });
const validText = fc.oneof(
  { weight: 9, arbitrary: fc.string({ unit: textChar, minLength: 1, maxLength: TEXT_MAX }) },
  { weight: 1, arbitrary: fc.constantFrom('a', '😀', '\n').map((c) => c.repeat(TEXT_MAX)) },
);
const validRef = validLine(REF_MAX);
/** 1 to 16 words, FTS5 operators among them (they are words like any other), with punctuation between. */
const searchQuery = fc
  .array(fc.constantFrom('deploy', 'Café', '日本語', 'x-ray', 'NEAR(', 'OR', '"quoted"', 'don\'t', '42'), { minLength: 1, maxLength: 16 })
  .chain((words) => fc.constantFrom(' ', '  ', ' * ', ' - ').map((sep) => words.join(sep)));

/** A valid client message of every type, each optional field present or not, and what parsing must make of it. */
const validClient: fc.Arbitrary<{ input: Record<string, unknown>; output: Record<string, unknown> }> = fc
  .oneof(
    fc.record({ type: fc.constant('hello'), nick: nickArb, password: validLine(256), client: validLine(64), ref: validRef }, { noNullPrototype: true, requiredKeys: ['type', 'nick'] }),
    fc.record({ type: fc.constant('join'), room: roomArb, ref: validRef }, { noNullPrototype: true, requiredKeys: ['type', 'room'] }),
    fc.record({ type: fc.constant('part'), room: roomArb, reason: validLine(300), ref: validRef }, { noNullPrototype: true, requiredKeys: ['type', 'room'] }),
    fc.record({ type: fc.constant('say'), room: roomArb, text: validText, action: fc.boolean(), ref: validRef }, { noNullPrototype: true, requiredKeys: ['type', 'room', 'text'] }),
    fc.record({ type: fc.constant('dm'), to: nickArb, text: validText, action: fc.boolean(), ref: validRef }, { noNullPrototype: true, requiredKeys: ['type', 'to', 'text'] }),
    fc.record({ type: fc.constant('nick'), nick: nickArb, ref: validRef }, { noNullPrototype: true, requiredKeys: ['type', 'nick'] }),
    fc.record({ type: fc.constant('topic'), room: roomArb, topic: validLine(500), ref: validRef }, { noNullPrototype: true, requiredKeys: ['type', 'room', 'topic'] }),
    fc.record({
      type: fc.constant('history'), room: roomArb, before: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      limit: fc.integer({ min: 1, max: HISTORY_PAGE_MAX }), ref: validRef,
    }, { noNullPrototype: true, requiredKeys: ['type', 'room'] }),
    fc.record({
      type: fc.constant('search'), room: roomArb, query: searchQuery, before: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      limit: fc.integer({ min: 1, max: HISTORY_PAGE_MAX }), ref: validRef,
    }, { noNullPrototype: true, requiredKeys: ['type', 'room', 'query'] }),
    fc.record({ type: fc.constant('rooms'), from: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), ref: validRef }, { noNullPrototype: true, requiredKeys: ['type'] }),
    fc.record({ type: fc.constant('who'), room: roomArb, ref: validRef }, { noNullPrototype: true, requiredKeys: ['type', 'room'] }),
    fc.record({ type: fc.constant('ping'), ref: validRef }, { noNullPrototype: true, requiredKeys: ['type'] }),
    fc.record({ type: fc.constant('quit'), reason: validLine(300), ref: validRef }, { noNullPrototype: true, requiredKeys: ['type'] }),
    fc.record({ type: fc.constant('register'), password: validLine(256), email: validLine(254), ref: validRef }, { noNullPrototype: true, requiredKeys: ['type', 'password'] }),
    fc.record({ type: fc.constant('identify'), password: validLine(256), account: nickArb, ref: validRef }, { noNullPrototype: true, requiredKeys: ['type', 'password'] }),
    fc.record({ type: fc.constant('password'), old: validLine(256), new: validLine(256), ref: validRef }, { noNullPrototype: true, requiredKeys: ['type', 'old', 'new'] }),
    fc.record({ type: fc.constant('drop'), password: validLine(256), ref: validRef }, { noNullPrototype: true, requiredKeys: ['type', 'password'] }),
    fc.record({ type: fc.constant('ghost'), nick: nickArb, password: validLine(256), ref: validRef }, { noNullPrototype: true, requiredKeys: ['type', 'nick', 'password'] }),
    fc.record({ type: fc.constant('operator'), account: nickArb, grant: fc.boolean(), ref: validRef }, { noNullPrototype: true, requiredKeys: ['type', 'account', 'grant'] }),
    fc.record({ type: fc.constant('kill'), nick: nickArb, reason: validLine(300), ref: validRef }, { noNullPrototype: true, requiredKeys: ['type', 'nick'] }),
    fc.record({
      type: fc.constant('ban'), mask: validLine(64), duration: fc.integer({ min: 1, max: BAN_SECONDS_MAX }), reason: validLine(300), ref: validRef,
    }, { noNullPrototype: true, requiredKeys: ['type', 'mask'] }),
    fc.record({ type: fc.constant('unban'), mask: validLine(64), ref: validRef }, { noNullPrototype: true, requiredKeys: ['type', 'mask'] }),
    fc.record({ type: fc.constant('bans'), ref: validRef }, { noNullPrototype: true, requiredKeys: ['type'] }),
    fc.record({ type: fc.constant('kick'), room: roomArb, nick: nickArb, reason: validLine(300), ref: validRef }, { noNullPrototype: true, requiredKeys: ['type', 'room', 'nick'] }),
    fc.record({
      type: fc.constant('mute'), room: roomArb, mask: validLine(64), duration: fc.integer({ min: 1, max: BAN_SECONDS_MAX }), reason: validLine(300), ref: validRef,
    }, { noNullPrototype: true, requiredKeys: ['type', 'room', 'mask'] }),
    fc.record({ type: fc.constant('unmute'), room: roomArb, mask: validLine(64), ref: validRef }, { noNullPrototype: true, requiredKeys: ['type', 'room', 'mask'] }),
    fc.record({ type: fc.constant('role'), room: roomArb, account: nickArb, role: fc.constantFrom('op', 'voice', 'none'), ref: validRef }, { noNullPrototype: true, requiredKeys: ['type', 'room', 'account', 'role'] }),
    fc.record({ type: fc.constant('invite'), room: roomArb, nick: nickArb, ref: validRef }, { noNullPrototype: true, requiredKeys: ['type', 'room', 'nick'] }),
    fc.record({ type: fc.constant('read'), room: roomArb, seq: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), ref: validRef }, { noNullPrototype: true, requiredKeys: ['type', 'room', 'seq'] }),
    fc.record({
      type: fc.constant('settings'), room: roomArb, inviteOnly: fc.boolean(), key: validLine(256), moderated: fc.boolean(), secret: fc.boolean(),
      topicOps: fc.boolean(), limit: fc.integer({ min: 0, max: 10_000_000 }), ref: validRef,
    }, { noNullPrototype: true, requiredKeys: ['type', 'room'] }),
  )
  .map((input: Record<string, unknown>) => ({
    input,
    output: typeof input.room === 'string' ? { ...input, room: roomsAfterParse(input.room) } : input,
  }));

// Runs per property. They add up to over a million parser calls per `npm test` (see the last test).
const RUNS = {
  anyString: runs(100_000),
  anyJson: runs(100_000),
  nearObject: runs(150_000),
  nearRaw: runs(150_000),
  nonJson: runs(20_000),
  valid: runs(40_000),
  server: runs(60_000),
};

describe('parseClientMessage on anything', () => {
  it('never throws on any string, and refuses with BAD_JSON exactly what JSON.parse refuses', () => {
    fc.assert(fc.property(fc.oneof(edgeString(64), fc.string({ unit: 'binary-ascii' }), limitString), (raw) => {
      const result = parseClientMessage(raw);
      expectWellFormed(result);
      let json = true;
      try {
        JSON.parse(raw);
      } catch {
        json = false;
      }
      assert.equal(!result.ok && result.error.code === ErrorCode.BAD_JSON, !json);
    }), { numRuns: RUNS.anyString });
  });

  it('answers any JSON value with a message or a documented code, and echoes an echoable ref', () => {
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 3, stringUnit: edgeString(1) as fc.Arbitrary<string> }),
      fc.dictionary(fc.oneof(fc.constantFrom('type', 'ref'), prototypeKey), fieldValue, { maxKeys: 3 }),
    );
    fc.assert(fc.property(value, (input) => {
      const raw = JSON.stringify(input);
      const result = parseClientMessage(raw);
      expectWellFormed(result);
      assert.ok(result.ok || result.error.code !== ErrorCode.BAD_JSON);
      expectRefEchoed(JSON.parse(raw), result);
      if (result.ok) expectCleanClientMessage(result.value as unknown as Record<string, unknown>);
    }), { numRuns: RUNS.anyJson });
  });
});

describe('client messages near the schema', () => {
  it('validateClientMessage and parseClientMessage agree on near-valid objects, with prototype keys and lone surrogates', () => {
    fc.assert(fc.property(nearClientEntries, (entries) => {
      const input = asObject(entries);
      const direct = validateClientMessage(input);
      expectWellFormed(direct);
      expectRefEchoed(input, direct);
      const viaJson = parseClientMessage(JSON.stringify(input));
      expectWellFormed(viaJson);
      // JSON has no -0; otherwise an object and its JSON text are the same message.
      assert.equal(JSON.stringify(viaJson), JSON.stringify(direct));
      if (direct.ok) expectCleanClientMessage(direct.value as unknown as Record<string, unknown>);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    }), { numRuns: RUNS.nearObject });
  });

  it('parses near-valid JSON texts with huge or inexact numbers and repeated keys', () => {
    fc.assert(fc.property(nearClientRaw, (raw) => {
      const result = parseClientMessage(raw);
      expectWellFormed(result);
      assert.ok(result.ok || result.error.code !== ErrorCode.BAD_JSON);
      expectRefEchoed(JSON.parse(raw), result);
      if (result.ok) {
        expectCleanClientMessage(result.value as unknown as Record<string, unknown>);
        for (const v of Object.values(result.value)) if (typeof v === 'number') assert.ok(Number.isSafeInteger(v), `${v} passed as an integer`);
      }
    }), { numRuns: RUNS.nearRaw });
  });

  it('answers values no JSON holds (NaN, Infinity, bigint, functions...) in any field without throwing', () => {
    const input = fc
      .tuple(fc.constantFrom(...CLIENT_MESSAGE_TYPES), fc.array(fc.tuple(fc.constantFrom('room', 'text', 'nick', 'to', 'limit', 'from', 'action', 'ref', 'type'), nonJsonValue), { minLength: 1, maxLength: 3 }))
      .map(([type, entries]) => ({ type, ...Object.fromEntries(entries) }));
    fc.assert(fc.property(input, (message) => {
      const result = validateClientMessage(message);
      expectWellFormed(result);
      expectRefEchoed(message, result);
      if (result.ok) expectCleanClientMessage(result.value as unknown as Record<string, unknown>);
    }), { numRuns: RUNS.nonJson });
  });

  it('accepts every valid message, normalized, and it survives the JSON round trip', () => {
    fc.assert(fc.property(validClient, ({ input, output }) => {
      const result = parseClientMessage(JSON.stringify(input));
      assert.deepStrictEqual(result, { ok: true, value: output });
      expectCleanClientMessage(output);
    }), { numRuns: RUNS.valid });
  });
});

describe('parseServerMessage on anything', () => {
  const serverEntries = fc
    .oneof({ weight: 6, arbitrary: fc.constantFrom(...Object.keys(SERVER_FIELDS)) }, { weight: 1, arbitrary: fc.oneof(edgeString(8), prototypeKey) })
    .chain((type) => {
      const known = Object.hasOwn(SERVER_FIELDS, type) ? SERVER_FIELDS[type]! : ['text'];
      const value = fc.oneof(
        { weight: 6, arbitrary: fieldValue },
        { weight: 1, arbitrary: fc.array(fc.dictionary(fc.constantFrom(...SERVER_FIELDS.message!, 'name', 'users', 'topic'), fieldValue, { maxKeys: 8 }), { maxLength: 3 }) },
        { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('rate', 'burst', '__proto__'), fieldValue, { maxKeys: 2 }) },
      );
      return fc.tuple(fc.constant(type), fc.array(fc.tuple(fc.oneof(fc.constantFrom(...known), prototypeKey), value), { maxLength: 8 }));
    })
    .map(([type, entries]) => JSON.stringify(Object.fromEntries([['type', type], ...entries])));

  it('never throws on strings or near-valid server messages, and refuses only with documented codes', () => {
    fc.assert(fc.property(fc.oneof(edgeString(48), serverEntries), (raw) => {
      const result = parseServerMessage(raw);
      expectWellFormed(result);
      if (result.ok) {
        assert.equal(Object.getPrototypeOf(result.value), Object.prototype);
        const allowed = ['type', ...SERVER_FIELDS[result.value.type]!];
        for (const key of Reflect.ownKeys(result.value)) assert.ok(allowed.includes(key as string), `field ${String(key)} passed through`);
        assert.deepStrictEqual(parseServerMessage(JSON.stringify(result.value)), result);
      }
    }), { numRuns: RUNS.server });
  });
});

