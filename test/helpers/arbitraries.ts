/**
 * fast-check generators for the property tests of the parsers: strings that hit the edges of the
 * protocol's rules (controls, line and paragraph separators, bidi, lone surrogates, astral characters,
 * lengths at and around each limit) and values of every JSON kind and some that JSON cannot hold.
 */
import fc from 'fast-check';
import {
  CLIENT_NAME_MAX, COMMAND_NAMES, NICK_MAX, PASSWORD_MAX, REASON_MAX, REF_MAX, ROOM_NAME_MAX, SEARCH_QUERY_MAX, TEXT_MAX, TOPIC_MAX,
} from '../../shared/index.js';

// Each run draws a new seed; a failure prints it, and PROPERTY_SEED=<seed> replays the same inputs.
const replaySeed = Number(process.env.PROPERTY_SEED);
if (process.env.PROPERTY_SEED && Number.isInteger(replaySeed)) fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: replaySeed });

/** Runs of a property: `PROPERTY_RUNS_SCALE=10` multiplies them for a longer hunt. */
export function runs(n: number): number {
  const scale = Number(process.env.PROPERTY_RUNS_SCALE ?? 1);
  return Math.max(1, Math.round(n * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

/** One character (or a UTF-16 unit) that some rule cares about. */
export const edgeChar: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: loneSurrogate },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      ' ', '\t', '\n', '\r', '\u0000', '\u001b', '\u007f', '\u0085', '\u009b', '\u00a0', '\u2028', '\u2029',
      '\u202e', '\u2066', '\u200b', '\u200d', '\ufeff', '\u3000', '😀', '👨‍👩‍👧', 'é', '你', '/', '//', '#', '\\', '"',
      '[', ']', '_', '-', '{', '|', '\u{10ffff}', '\ud83d', '\ude00',
    ),
  },
);

export const edgeString = (maxLength = 24): fc.Arbitrary<string> => fc.string({ unit: edgeChar, maxLength });

const LIMITS = [NICK_MAX, ROOM_NAME_MAX, REF_MAX, CLIENT_NAME_MAX, REASON_MAX, PASSWORD_MAX, TOPIC_MAX, TEXT_MAX, SEARCH_QUERY_MAX];

/** A string of one repeated character just under, at or just over one of the protocol's length limits. */
export const limitString: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('a', 'é', '😀', ' ', '\n', '\ud800'),
    fc.constantFrom(...LIMITS),
    fc.integer({ min: -1, max: 1 }),
    fc.constantFrom('', '#', 'b'),
  )
  .map(([c, limit, delta, prefix]) => prefix + c.repeat(Math.max(0, limit + delta - prefix.length)));

/** A valid nick. */
export const nickArb: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...'abcXYZ'),
    fc.string({ unit: fc.constantFrom(...'az09_-[]\\^{}|AZ'), maxLength: NICK_MAX - 1 }),
  )
  .map(([first, rest]) => first + rest);

/** A valid room name, with or without its `#` (both are accepted). */
export const roomArb: fc.Arbitrary<string> = fc
  .tuple(fc.boolean(), fc.string({ unit: fc.constantFrom(...'azAZ09_-'), minLength: 1, maxLength: ROOM_NAME_MAX }))
  .map(([hash, name]) => (hash ? `#${name}` : name));

/** Strings a field might be given: edge characters, names that almost pass, lengths at the limits. */
export const fieldString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: edgeString() },
  { weight: 2, arbitrary: nickArb },
  { weight: 2, arbitrary: roomArb },
  { weight: 1, arbitrary: limitString },
  { weight: 1, arbitrary: fc.constantFrom('', '#', 'lobby', '#lobby', 'hello', '__proto__', 'constructor') },
);

const edgeNumber = fc.constantFrom(
  0, -0, 1, -1, 200, 201, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, -Number.MAX_SAFE_INTEGER - 1,
  2 ** 64, 1e308, 1.5, Number.MIN_VALUE, -1e-7,
);

/** A value of any JSON kind, weighted towards those a schema field could take. */
export const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fieldString },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 2, arbitrary: edgeNumber },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** Values no JSON text decodes to, which a hand-built message (validateClientMessage) could still hold. */
export const nonJsonValue: fc.Arbitrary<unknown> = fc.constantFrom(
  undefined, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 10n, Symbol('s'), () => 1, new Date(0), new Map(),
);

/** Number literals a JSON text can hold that no JavaScript integer equals exactly. */
export const rawNumber: fc.Arbitrary<string> = fc.constantFrom(
  '1e400', '-1e400', '9007199254740993', '123456789012345678901234567890', '1.0', '-0', '0e0', '1E2', '2e-1', '5e-324',
);

const space = fc.constantFrom(' ', ' ', '  ', '\t', '\u00a0', '\u3000', '\u2028', '');
const commandName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...COMMAND_NAMES) },
  { weight: 1, arbitrary: fc.constantFrom(...COMMAND_NAMES).map((n) => n.toUpperCase()) },
  { weight: 1, arbitrary: edgeString(6) },
);
const commandArg = fc.oneof(
  { weight: 4, arbitrary: fieldString },
  { weight: 2, arbitrary: roomArb.map((r) => (r.startsWith('#') ? r : `#${r}`)) },
  { weight: 2, arbitrary: fc.constantFrom('1', '0', '-1', '200', '201', '1e3', '0x10', '1.5', 'Infinity', 'NaN', '9007199254740993', '') },
  { weight: 1, arbitrary: limitString },
);

/** A line a person might type: plain text, `//text`, or a command (real or not) with arguments of every sort. */
export const typedLine: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: edgeString(40) },
  { weight: 1, arbitrary: edgeString(20).map((t) => `//${t}`) },
  {
    weight: 6,
    arbitrary: fc
      .tuple(commandName, fc.array(fc.tuple(space, commandArg), { maxLength: 4 }), space)
      .map(([name, args, end]) => `/${name}${args.map(([s, a]) => s + a).join('')}${end}`),
  },
);

/** The room a user is in, as the server names it, or none. */
export const currentRoom: fc.Arbitrary<string | undefined> = fc.option(roomArb.map((r) => (r.startsWith('#') ? r : `#${r}`)), { nil: undefined });

/** Keys an attacker would try on an object that is copied field by field. */
export const prototypeKey: fc.Arbitrary<string> = fc.constantFrom(
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__',
);

/** `bytes` cut at `cuts` (each taken modulo its length + 1): any subset, so chunks of one byte and empty ones too. */
export function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}
