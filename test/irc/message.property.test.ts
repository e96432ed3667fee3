/**
 * Properties of server/irc/message.ts: every message the serializer accepts reads back unchanged; every
 * line the parser accepts (with at most 15 params) serializes to a line that reads back the same; no
 * string or byte sequence makes either throw. Random seed each run; a failure prints it.
 */
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import {
  PARAMS_MAX, escapeTagValue, formatMessage, parseLine, parseMessage, unescapeTagValue, type IrcMessage,
} from '../../server/irc/message.js';
import { edgeString, runs } from '../helpers/arbitraries.js';

const lineChar = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  { weight: 3, arbitrary: fc.constantFrom(' ', ':', ';', '=', '\\', '@', '!', '\t', '\u0001', '\u0003', '😀', 'é') },
).filter((c) => !/[\0\r\n]/.test(c));

const text = (opts: { minLength?: number; maxLength?: number } = {}) => fc.string({ unit: lineChar, maxLength: 40, ...opts });
const word = text({ minLength: 1 }).filter((s) => !s.includes(' '));
const alnum = (min: number) => fc.string({ unit: fc.constantFrom(...'abcXYZ019-'), minLength: min, maxLength: 8 });

const tagKey = fc
  .tuple(fc.boolean(), fc.option(fc.string({ unit: fc.constantFrom(...'ab9.-'), minLength: 1, maxLength: 6 })), alnum(1))
  .map(([clientOnly, vendor, name]) => `${clientOnly ? '+' : ''}${vendor === null ? '' : `${vendor}/`}${name}`);

const verb = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'ABCPRIVMSGQUT'), minLength: 1, maxLength: 10 }),
  fc.integer({ min: 0, max: 999 }).map((n) => String(n).padStart(3, '0')),
);

const message: fc.Arbitrary<IrcMessage> = fc.record({
  tags: fc.dictionary(tagKey, text(), { maxKeys: 4 }).map((d) => new Map(Object.entries(d))),
  source: fc.option(word, { nil: undefined }),
  verb,
  params: fc.tuple(fc.array(word.filter((w) => !w.startsWith(':')), { maxLength: 6 }), fc.option(text())).map(
    ([middle, last]) => (last === null ? middle : [...middle, last]),
  ),
});

function withoutUndefined(m: IrcMessage): object {
  const { tags, source, verb, params } = m;
  return source === undefined ? { tags, verb, params } : { tags, source, verb, params };
}

describe('formatMessage and parseMessage', () => {
  it('reads back every message the serializer accepts', () => {
    fc.assert(fc.property(message, (m) => {
      const line = formatMessage(m);
      assert.ok(line.ok, line.ok ? '' : line.error.message);
      const back = parseMessage(line.value, { tagDataBytes: 8189, bodyBytes: 510 });
      assert.ok(back.ok, back.ok ? '' : back.error.message);
      assert.deepStrictEqual(back.value, withoutUndefined(m));
    }), { numRuns: runs(5_000) });
  });

  const lineArb = fc.oneof(
    edgeString(60),
    fc.tuple(fc.constantFrom('', '@a=b;+c ', '@x=\\s\\:y;z ', '@ '), fc.constantFrom('', ':src ', ': '), verb, fc.array(fc.constantFrom(' ', ' x', ' :', ' :y z', '  ', ' é'), { maxLength: 18 }))
      .map(([tags, source, v, rest]) => tags + source + v + rest.join('')),
  );

  it('serializes every line it accepts to one that reads back the same', () => {
    fc.assert(fc.property(lineArb, (line) => {
      const first = parseMessage(line);
      if (!first.ok || first.value.params.length > PARAMS_MAX) return;
      const again = formatMessage(first.value);
      assert.ok(again.ok, again.ok ? '' : again.error.message);
      assert.deepStrictEqual(parseMessage(again.value), first);
    }), { numRuns: runs(10_000) });
  });

  it('never throws on any string, and refuses with a reason and a message', () => {
    fc.assert(fc.property(fc.oneof(edgeString(80), fc.string({ unit: 'binary', maxLength: 600 })), (line) => {
      const r = parseMessage(line);
      if (!r.ok) assert.ok(r.error.message.length > 0 && r.error.reason.length > 0);
    }), { numRuns: runs(10_000) });
  });

  it('reads bytes as their UTF-8 text when they are valid, and refuses them as invalid-utf8 when not', () => {
    const bytes = fc.array(fc.oneof(
      fc.integer({ min: 0x20, max: 0x7e }),
      fc.constantFrom(0x80, 0xbf, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0xed, 0xa0),
    ), { maxLength: 40 }).map((b) => Buffer.from(b));
    fc.assert(fc.property(fc.constantFrom('PING :', 'PRIVMSG #a ', '@t=', ''), bytes, (head, tail) => {
      const raw = Buffer.concat([Buffer.from(head), tail]);
      const r = parseLine(raw);
      if (isUtf8(raw)) assert.deepStrictEqual(r, parseMessage(raw.toString('utf8')));
      else assert.ok(!r.ok && r.error.reason === 'invalid-utf8');
    }), { numRuns: runs(10_000) });
  });
});

describe('tag value escaping', () => {
  it('unescapes every escaped value back to itself, and the escaped form has no ; space CR LF', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('a', ';', ' ', '\\', '\r', '\n', 's', ':', 'é') }), (v) => {
      const escaped = escapeTagValue(v);
      assert.ok(!/[; \r\n]/.test(escaped));
      assert.equal(unescapeTagValue(escaped), v);
    }), { numRuns: runs(5_000) });
  });
});
