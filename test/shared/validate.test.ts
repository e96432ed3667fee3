/** shared/validate.ts: the name and text rules at their edges. */
import { describe, expect, it } from 'vitest';
import {
  caseFold,
  codePointLength,
  isValidNick,
  isWellFormedText,
  lineProblem,
  NICK_MAX,
  normalizeRoom,
  ROOM_NAME_MAX,
  TEXT_MAX,
  textProblem,
} from '../../shared/index.js';

const CONTROL = 'text contains control characters (only \\n and \\t are allowed)';
const TOO_LONG = 'text is longer than 4000 characters';
const EMOJI = '😀'; // U+1F600: one code point, two UTF-16 units
const UNPAIRED = 'text contains an unpaired surrogate (invalid Unicode)';

describe('limits', () => {
  it('are the protocol v1 numbers', () => {
    expect([NICK_MAX, ROOM_NAME_MAX, TEXT_MAX]).toStrictEqual([24, 32, 4000]);
  });
});

describe('isValidNick', () => {
  const cases: [string, boolean][] = [
    ['a', true],
    ['Z', true],
    ['a'.repeat(24), true],
    ['a'.repeat(25), false],
    ['', false],
    ['alice', true],
    ['Alice99', true],
    ['a_-[]\\^{}|', true],
    ['x'.repeat(23) + '|', true],
    ['1alice', false],
    ['_alice', false],
    ['-alice', false],
    ['[alice]', false],
    ['{a}', false],
    ['|a', false],
    ['al ice', false],
    ['alice ', false],
    [' alice', false],
    ['alice\n', false],
    ['al.ice', false],
    ['al@ice', false],
    ['al#ice', false],
    ['zoë', false],
    ['ａlice', false], // fullwidth a
    ['alice😀', false],
    ['a\u0000', false],
  ];
  it.each(cases)('%j -> %s', (nick, valid) => {
    expect(isValidNick(nick)).toBe(valid);
  });
});

describe('normalizeRoom', () => {
  const cases: [string, string | null][] = [
    ['lobby', '#lobby'],
    ['#lobby', '#lobby'],
    ['Lobby', '#Lobby'],
    ['#Dev-Ops_2', '#Dev-Ops_2'],
    ['a', '#a'],
    ['#a', '#a'],
    ['0', '#0'],
    ['-', '#-'],
    ['r'.repeat(32), `#${'r'.repeat(32)}`],
    [`#${'r'.repeat(32)}`, `#${'r'.repeat(32)}`],
    ['r'.repeat(33), null],
    [`#${'r'.repeat(33)}`, null],
    ['', null],
    ['#', null],
    ['##lobby', null],
    ['lob#by', null],
    ['the lobby', null],
    ['lobby ', null],
    ['lobby\n', null],
    ['lobby.txt', null],
    ['lobby!', null],
    ['café', null],
    ['#😀', null],
  ];
  it.each(cases)('%j -> %j', (room, expected) => {
    expect(normalizeRoom(room)).toBe(expected);
  });
});

describe('caseFold', () => {
  it('folds ASCII case so nicks and rooms compare case-insensitively', () => {
    expect(caseFold('Alice')).toBe('alice');
    expect(caseFold('ALICE')).toBe(caseFold('alice'));
    expect(caseFold('#LoBBy')).toBe('#lobby');
    expect(caseFold(normalizeRoom('LOBBY')!)).toBe(caseFold(normalizeRoom('#lobby')!));
  });

  it('leaves digits and the nick punctuation alone', () => {
    expect(caseFold('A_-[]\\^{}|9')).toBe('a_-[]\\^{}|9');
    // Not IRC's rfc1459 mapping: [ and { are different nicks.
    expect(caseFold('a[')).not.toBe(caseFold('a{'));
  });
});

describe('codePointLength', () => {
  const cases: [string, string, number][] = [
    ['empty', '', 0],
    ['ASCII', 'hello', 5],
    ['one emoji', EMOJI, 1],
    ['emoji and ASCII', `a${EMOJI}b${EMOJI}`, 4],
    ['BMP non-ASCII', 'zoë ñ', 5],
    ['a lone high surrogate', '\ud83d', 1],
    ['a lone low surrogate', '\ude00', 1],
    ['a high surrogate before ASCII', '\ud83dx', 2],
  ];
  it.each(cases)('%s', (_name, s, n) => {
    expect(codePointLength(s)).toBe(n);
  });

  it('agrees with the string iterator', () => {
    const s = `x${EMOJI.repeat(10)}y\u{10ffff}é\ud83dx\ude00\ud83d`;
    expect(codePointLength(s)).toBe([...s].length);
  });

  it('stops counting one past stopAfter', () => {
    expect(codePointLength('abcdef', 3)).toBe(4);
    expect(codePointLength(EMOJI.repeat(10), 2)).toBe(3);
    expect(codePointLength('ab', 3)).toBe(2);
  });
});

describe('textProblem', () => {
  const cases: [string, string, string | null][] = [
    ['one character', 'x', null],
    ['empty', '', 'text is empty'],
    ['4000 ASCII characters', 'x'.repeat(4000), null],
    ['4001 ASCII characters', 'x'.repeat(4001), TOO_LONG],
    ['4000 emoji (8000 UTF-16 units)', EMOJI.repeat(4000), null],
    ['4001 emoji', EMOJI.repeat(4001), TOO_LONG],
    ['3999 ASCII and one emoji', `${'x'.repeat(3999)}${EMOJI}`, null],
    ['4000 ASCII and one emoji', `${'x'.repeat(4000)}${EMOJI}`, TOO_LONG],
    // A lone high surrogate followed by ASCII is two code points, not one pair; either way it is refused.
    ['2000 lone-surrogate + ASCII pairs (4000 code points)', '\ud83dx'.repeat(2000), UNPAIRED],
    ['2001 lone-surrogate + ASCII pairs (4002 code points)', '\ud83dx'.repeat(2001), TOO_LONG],
    ['a lone high surrogate', '\ud800', UNPAIRED],
    ['a lone low surrogate', '\udfff', UNPAIRED],
    ['a high surrogate at the very end', `ok ${EMOJI}\ud83d`, UNPAIRED],
    ['a low surrogate at the very start', `\ude00${EMOJI}`, UNPAIRED],
    ['a pair in the wrong order', '\ude00\ud83d', UNPAIRED],
    ['two high surrogates', '\ud83d\ud83d', UNPAIRED],
    ['astral characters, paired', `${EMOJI}\u{10ffff}\u{1d11e}`, null],
    ['a ZWJ family and a flag', '👨\u200d👩\u200d👧 🇫🇷', null],
    ['bidi and zero-width characters are valid text (renderings mark them)', 'abc\u202egnp.exe\u200b\u2028', null],
    ['control characters are reported before surrogates', '\u0007\ud800', CONTROL],
    ['newline', 'one\ntwo', null],
    ['tab', 'a\tb', null],
    ['only a newline', '\n', null],
    ['only spaces', '   ', null],
    ['non-ASCII', 'grüße, 世界', null],
    ['NBSP U+00A0 (first code point after C1)', 'a\u00a0b', null],
    ['NUL', '\u0000', CONTROL],
    ['SOH', 'a\u0001', CONTROL],
    ['BS', 'a\u0008b', CONTROL],
    ['VT', 'a\u000bb', CONTROL],
    ['FF', 'a\u000cb', CONTROL],
    ['CR', 'a\rb', CONTROL],
    ['ESC', '\u001b[31mred', CONTROL],
    ['US U+001F', '\u001f', CONTROL],
    ['DEL', '\u007f', CONTROL],
    ['C1 U+0080', '\u0080', CONTROL],
    ['C1 CSI U+009B', '\u009b31m', CONTROL],
    ['C1 U+009F', '\u009f', CONTROL],
    ['empty wins over nothing else', '', 'text is empty'],
    ['length is checked before control characters', `\u0007${'x'.repeat(4000)}`, TOO_LONG],
  ];
  it.each(cases)('%s', (_name, text, problem) => {
    expect(textProblem(text)).toBe(problem);
  });

  it('takes a different maximum', () => {
    expect(textProblem('abc', 3)).toBeNull();
    expect(textProblem('abcd', 3)).toBe('text is longer than 3 characters');
  });
});

describe('lineProblem', () => {
  const cases: [string, string, string | null][] = [
    ['empty is allowed', '', null],
    ['at the limit', 'x'.repeat(10), null],
    ['emoji count as one', EMOJI.repeat(10), null],
    ['over the limit', 'x'.repeat(11), 'topic is longer than 10 characters'],
    ['newline', 'a\nb', 'topic contains control characters'],
    ['tab', 'a\tb', 'topic contains control characters'],
    ['CR', 'a\r', 'topic contains control characters'],
    ['DEL', '\u007f', 'topic contains control characters'],
    ['C1', '\u0085', 'topic contains control characters'],
    ['a lone surrogate', 'x\ud800', 'topic contains an unpaired surrogate (invalid Unicode)'],
    ['an emoji cut in half', EMOJI.slice(1), 'topic contains an unpaired surrogate (invalid Unicode)'],
    ['too long wins over a lone surrogate', `${'x'.repeat(11)}\ud800`, 'topic is longer than 10 characters'],
  ];
  it.each(cases)('%s', (_name, value, problem) => {
    expect(lineProblem('topic', value, 10)).toBe(problem);
  });
});

describe('isWellFormedText', () => {
  it('agrees with String.prototype.isWellFormed (Node 20) on every surrogate arrangement', () => {
    const units = ['a', '\ud83d', '\ude00', '😀'];
    const wellFormed = (s: string) => (s as unknown as { isWellFormed(): boolean }).isWellFormed();
    for (const a of units) for (const b of units) for (const c of units) {
      const s = a + b + c;
      expect(isWellFormedText(s), JSON.stringify(s)).toBe(wellFormed(s));
    }
  });
});
