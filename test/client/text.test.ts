import { describe, expect, it } from 'vitest';
import { sanitizeLine, sanitizeLines } from '../../client/text/sanitize.js';
import { fitWidth, stringWidth } from '../../client/text/width.js';
import { wrapLine } from '../../client/text/wrap.js';

describe('column widths per grapheme cluster', () => {
  it.each([
    ['abc', 3],
    ['你好', 4], // CJK: wide
    ['ｈｉ', 4], // fullwidth Latin
    ['👍', 2],
    ['👍🏽', 2], // skin tone modifier joins the cluster
    ['👨‍👩‍👧‍👦', 2], // ZWJ family
    ['🇫🇷', 2], // flag: two regional indicators
    ['❤️', 2], // VS16 makes a text symbol an emoji (weechat #2265)
    ['❤', 1], // without VS16 it stays narrow
    ['1️⃣', 2], // keycap
    ['é', 1], // e + combining acute
    ['\u200b', 0],
  ])('%s is %i columns', (text, width) => {
    expect(stringWidth(text)).toBe(width);
  });

  it('cuts and pads to exact widths without splitting a wide cluster', () => {
    expect(fitWidth('你好世界', 5)).toBe('你好 ');
    expect(stringWidth(fitWidth('a👨‍👩‍👧‍👦b', 3))).toBe(3);
    expect(fitWidth('👨‍👩‍👧‍👦', 3)).toBe('👨‍👩‍👧‍👦 ');
  });

  it('wraps at spaces, and inside over-long words between clusters', () => {
    expect(wrapLine('the quick brown fox', 10)).toEqual(['the quick', 'brown fox']);
    expect(wrapLine('你好你好你好', 5)).toEqual(['你好', '你好', '你好']);
    expect(wrapLine('', 5)).toEqual(['']);
    for (const row of wrapLine('mixed 你好 🇫🇷 text 👍🏽 with emoji and ＣＪＫ everywhere', 7)) expect(stringWidth(row)).toBeLessThanOrEqual(7);
  });
});

describe('sanitizing network text', () => {
  it.each([
    ['\x1b[2J\x1b[Hcleared', 'cleared'],
    ['\x1b]0;pwned title\x07ok', 'ok'],
    ['\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\', 'link'],
    ['red \x1b[31mtext\x1b[0m', 'red text'],
    ['c1 \x9b31m csi', 'c1  csi'],
    ['bell\x07 bs\x08 del\x7f', 'bell bs del'],
    ['bidi \u202eevil\u202c', 'bidi <U+202E>evil<U+202C>'],
    ['abc\u202egnp.exe', 'abc<U+202E>gnp.exe'], // an RLO file name
    ['\u2066\u2067\u2068\u2069\u200e\u200f\u061c', '<U+2066><U+2067><U+2068><U+2069><U+200E><U+200F><U+061C>'],
    ['in\u200bvis\u2060ible\ufeff', 'in<U+200B>vis<U+2060>ible<U+FEFF>'], // zero-width characters
    ['a\u200db', 'a<U+200D>b'], // a ZWJ between ASCII letters
    ['one\u2028two\u2029three', 'one two three'], // line separators in one line
    ['a\x1b[0m\u200db', 'a<U+200D>b'], // an escape sequence cannot shield a joiner
    ['tab\there', 'tab here'],
    ['dangling \x1b', 'dangling '],
  ])('%j -> %j', (input, output) => {
    expect(sanitizeLine(input)).toBe(output);
    expect(sanitizeLine(input)).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
  });

  it('splits lines on newlines', () => {
    expect(sanitizeLines('one\r\ntwo\nthree\x1b[A')).toEqual(['one', 'two', 'three']);
  });

  it('splits lines on U+2028 and U+2029 too', () => {
    expect(sanitizeLines('one\u2028two\u2029three')).toEqual(['one', 'two', 'three']);
  });

  it('keeps the joiners of emoji sequences and scripts, at their usual widths', () => {
    for (const text of ['👨\u200d👩\u200d👧\u200d👦', '🧑🏽\u200d💻', '🏳\ufe0f\u200d🌈']) {
      expect(sanitizeLine(text)).toBe(text);
      expect(stringWidth(sanitizeLine(text))).toBe(2);
    }
    expect(sanitizeLine('می\u200cخواهم')).toBe('می\u200cخواهم');
  });

  it('is stable over the second pass the frame makes on rows the wrapper cut, joiners included', () => {
    // Wrapping cuts this long Persian word between clusters; a ZWNJ may end a row.
    const text = `${'می\u200cخوا'.repeat(12)} ${'👨\u200d👩\u200d👧 '.repeat(6)} x\u200dy \u202e`;
    for (const width of [3, 5, 8, 13]) {
      for (const line of sanitizeLines(text)) {
        for (const row of wrapLine(line, width)) {
          expect(sanitizeLine(row)).toBe(row);
          expect(stringWidth(sanitizeLine(row))).toBeLessThanOrEqual(width);
        }
      }
    }
  });
});
