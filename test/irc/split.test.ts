/**
 * server/irc/split.ts: cases at each boundary (budget, spaces, graphemes, code points, blank lines),
 * then properties over random text: no piece over budget, no code point cut, grapheme boundaries kept
 * when they fit, no piece cut short, and the pieces give back the text.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TEXT_MAX } from '../../shared/limits.js';
import { isWellFormedText } from '../../shared/validate.js';
import { BODY_MAX_BYTES, formatMessage } from '../../server/irc/message.js';
import { BLANK_LINE, MIN_BUDGET, splitLine, splitText, textBudget } from '../../server/irc/split.js';
import { runs } from '../helpers/arbitraries.js';

const bytes = (s: string) => Buffer.byteLength(s);
const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const graphemesOf = (s: string) => [...segmenter.segment(s)].map((g) => g.segment);

describe('textBudget', () => {
  it('is what is left of 510 bytes after the prefix and suffix', () => {
    const prefix = ':alice!alice@127.0.0.1 PRIVMSG #lobby :';
    expect(textBudget(prefix)).toBe(BODY_MAX_BYTES - prefix.length);
    expect(textBudget(`${prefix}\u0001ACTION `, '\u0001')).toBe(BODY_MAX_BYTES - prefix.length - 9);
    expect(textBudget(':é ')).toBe(BODY_MAX_BYTES - 4);
  });
});

describe('splitText', () => {
  it('sends a short line as it is', () => {
    expect(splitText('hello world', 100)).toEqual(['hello world']);
  });

  it('sends one piece per line', () => {
    expect(splitText('one\ntwo\nthree', 100)).toEqual(['one', 'two', 'three']);
  });

  it('sends a blank line as one space, so no line vanishes and none is empty', () => {
    expect(BLANK_LINE).toBe(' ');
    expect(splitText('a\n\nb', 100)).toEqual(['a', ' ', 'b']);
    expect(splitText('\n', 100)).toEqual([' ', ' ']);
    expect(splitText('', 100)).toEqual([' ']);
    expect(splitText('a\n', 100)).toEqual(['a', ' ']);
  });

  it('keeps lines of spaces and tabs as they are', () => {
    expect(splitText('  \n\t', 100)).toEqual(['  ', '\t']);
  });

  it('cuts each long line on its own', () => {
    expect(splitText('aaaa bbbb\ncc', 7)).toEqual(['aaaa ', 'bbbb', 'cc']);
  });

  it.each([0, 3, -1, 4.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses a budget of %s', (budget) => {
    expect(() => splitText('x', budget)).toThrow(RangeError);
    expect(() => splitLine('x', budget)).toThrow(`at least ${MIN_BUDGET} bytes`);
  });
});

describe('splitLine', () => {
  it.each<[string, string, number, string[]]>([
    ['exactly the budget', 'abcdefgh', 8, ['abcdefgh']],
    ['one byte over', 'abcdefghi', 8, ['abcdefgh', 'i']],
    ['at the last space', 'aaaa bbbb cccc', 10, ['aaaa bbbb ', 'cccc']],
    ['after a space that ends the window', 'aaaa bbbb', 5, ['aaaa ', 'bbbb']],
    ['mid-word when the space comes too early', 'a bbbbbbbbbb', 8, ['a bbbbbb', 'bbbb']],
    ['a run of spaces at its end', 'aaa     bbb', 6, ['aaa   ', '  bbb']],
    ['between two-byte letters', 'éééé', 5, ['éé', 'éé']],
    ['between CJK characters', '你好世界', 7, ['你好', '世界']],
    ['between four-byte emoji', '😀😀😀', 5, ['😀', '😀', '😀']],
    ['before a letter with a combining accent', 'aaae\u0301', 4, ['aaa', 'e\u0301']],
    ['before a flag (two code points)', 'ab🇫🇷', 9, ['ab', '🇫🇷']],
    ['before a family emoji (five code points)', 'ab👨‍👩‍👧', 18, ['ab', '👨‍👩‍👧']],
    ['before a skin-toned emoji', 'x👍🏽', 8, ['x', '👍🏽']],
    ['a grapheme longer than the budget between its code points', '👨‍👩‍👧', 8, ['👨\u200d', '👩\u200d', '👧']],
    ['a zalgo letter between its marks', `a${'\u0301'.repeat(5)}`, 4, ['a\u0301', '\u0301\u0301', '\u0301\u0301']],
    ['a lone surrogate as the three bytes it is sent as', 'ab\ud800cd', 4, ['ab', '\ud800c', 'd']],
  ])('cuts %s', (_name, line, budget, pieces) => {
    expect(splitLine(line, budget)).toEqual(pieces);
    expect(pieces.join('')).toBe(line);
  });

  it('cuts a 4000-character message into lines that each fit 512 bytes with CRLF', () => {
    const source = 'alice_with_long_nick!alice@2001:db8::1234:5678:9abc';
    const prefix = `:${source} PRIVMSG #a-room-name-of-32-characters-x :`;
    const text = Array.from({ length: TEXT_MAX / 5 }, (_, n) => ['word', 'émoji😀', '你好世界', '👨‍👩‍👧'][n % 4]).join(' ').slice(0, TEXT_MAX);
    const pieces = splitText(text, textBudget(prefix));
    expect(pieces.length).toBeGreaterThan(10);
    for (const piece of pieces) {
      const line = formatMessage({ source, verb: 'PRIVMSG', params: ['#a-room-name-of-32-characters-x', piece] });
      assert.ok(line.ok, line.ok ? '' : line.error.message);
      expect(bytes(`${line.value}\r\n`)).toBeLessThanOrEqual(512);
    }
    expect(pieces.join('')).toBe(text);
  });
});

const textChar = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('a', 'b', 'z', ' ', ' ', '\t', '\n') },
  { weight: 3, arbitrary: fc.constantFrom('é', 'e\u0301', '你', '😀', '👍🏽', '🇫🇷', '👨‍👩‍👧', '\u0301', '\u200d', '\ufe0f', 'ﷺ', '\ud800', '\udfff') },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
);
const textArb = fc.string({ unit: textChar, maxLength: 300 });
const budgetArb = fc.oneof(fc.integer({ min: MIN_BUDGET, max: 24 }), fc.integer({ min: 25, max: BODY_MAX_BYTES }));

describe('split properties', () => {
  it('no piece is over budget or empty, and no cut falls inside a surrogate pair', () => {
    fc.assert(fc.property(textArb, budgetArb, (text, budget) => {
      for (const piece of splitText(text, budget)) {
        assert.ok(bytes(piece) <= budget, `${JSON.stringify(piece)} is ${bytes(piece)} bytes`);
        assert.ok(piece.length > 0);
      }
      for (const line of text.split('\n')) {
        let at = 0;
        for (const piece of splitLine(line, budget).slice(0, -1)) {
          at += piece.length;
          assert.ok(!(/[\ud800-\udbff]/.test(line[at - 1]!) && /[\udc00-\udfff]/.test(line[at] ?? '')), `cut at ${at} splits a pair`);
        }
      }
    }), { numRuns: runs(3_000) });
  });

  it('the pieces of each line concatenate back to it, and blank lines are one space', () => {
    fc.assert(fc.property(textArb, budgetArb, (text, budget) => {
      const expected = text.split('\n').flatMap((line) => (line === '' ? [' '] : splitLine(line, budget)));
      assert.deepStrictEqual(splitText(text, budget), expected);
      for (const line of text.split('\n')) assert.equal(splitLine(line, budget).join(''), line);
    }), { numRuns: runs(3_000) });
  });

  it('never cuts a surrogate pair (every piece is well-formed when the line is)', () => {
    const wellFormed = fc.string({ unit: fc.constantFrom('a', ' ', '😀', '👨‍👩‍👧', '🇫🇷', 'é', '你'), maxLength: 200 });
    fc.assert(fc.property(wellFormed, budgetArb, (line, budget) => {
      for (const piece of splitLine(line, budget)) assert.ok(isWellFormedText(piece), JSON.stringify(piece));
    }), { numRuns: runs(3_000) });
  });

  it('cuts only between graphemes when every grapheme fits the budget, and never short of the budget without a reason', () => {
    const line = fc.string({ unit: textChar.filter((c) => c !== '\n'), minLength: 1, maxLength: 200 });
    fc.assert(fc.property(line, budgetArb, (line, budget) => {
      const graphemes = graphemesOf(line);
      if (graphemes.some((g) => bytes(g) > budget)) return;
      const boundaries = new Set<number>([0]);
      let at = 0;
      for (const g of graphemes) boundaries.add((at += g.length));
      const pieces = splitLine(line, budget);
      let start = 0;
      for (let n = 0; n < pieces.length; n++) {
        const piece = pieces[n]!;
        start += piece.length;
        assert.ok(boundaries.has(start), `cut at ${start} is inside a grapheme of ${JSON.stringify(line)}`);
        if (n === pieces.length - 1) break;
        const next = graphemesOf(line.slice(start))[0]!;
        // A piece ends early only after a space (word wrap) or when the next grapheme would not fit.
        assert.ok(piece.endsWith(' ') || bytes(piece + next) > budget, `${JSON.stringify(piece)} was cut short`);
      }
    }), { numRuns: runs(3_000) });
  });
});
