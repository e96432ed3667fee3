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
    ['bidi \u202eevil\u202c', 'bidi evil'],
    ['tab\there', 'tab here'],
    ['dangling \x1b', 'dangling '],
  ])('%j -> %j', (input, output) => {
    expect(sanitizeLine(input)).toBe(output);
    expect(sanitizeLine(input)).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
  });

  it('splits lines on newlines', () => {
    expect(sanitizeLines('one\r\ntwo\nthree\x1b[A')).toEqual(['one', 'two', 'three']);
  });
});
