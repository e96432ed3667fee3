/** shared/invisible.ts: which characters the human renderings show as <U+XXXX>, and which joiners stay. */
import { describe, expect, it } from 'vitest';
import { markInvisible } from '../../shared/index.js';

const FAMILY = '👨\u200d👩\u200d👧';

describe('markInvisible', () => {
  it.each([
    ['an RLO (the "abcexe.png" trick)', 'abc\u202egnp.exe', 'abc<U+202E>gnp.exe'],
    ['LRE, RLE, PDF, LRO', '\u202a\u202b\u202c\u202d', '<U+202A><U+202B><U+202C><U+202D>'],
    ['the isolates LRI, RLI, FSI, PDI', '\u2066a\u2067b\u2068c\u2069', '<U+2066>a<U+2067>b<U+2068>c<U+2069>'],
    ['LRM, RLM and the Arabic letter mark', 'a\u200eb\u200fc\u061cd', 'a<U+200E>b<U+200F>c<U+061C>d'],
    ['a zero-width space inside a word', 'pay\u200bpal', 'pay<U+200B>pal'],
    ['a word joiner and the invisible operators', '\u2060\u2061\u2062\u2063\u2064', '<U+2060><U+2061><U+2062><U+2063><U+2064>'],
    ['a BOM in the middle', 'a\ufeffb', 'a<U+FEFF>b'],
    ['ZWJ between ASCII letters', 'pay\u200dpal', 'pay<U+200D>pal'],
    ['ZWNJ between ASCII letters', 'pay\u200cpal', 'pay<U+200C>pal'],
    ['a joiner that starts the text', '\u200d👩', '<U+200D>👩'],
    ['a joiner between an emoji and ASCII', '😀\u200dx', '😀<U+200D>x'],
    ['a joiner between ASCII and an emoji', 'x\u200d😀', 'x<U+200D>😀'],
    ['two joiners in a row', '👨\u200d\u200d👩', '👨<U+200D><U+200D>👩'],
  ])('marks %s', (_name, input, output) => {
    expect(markInvisible(input)).toBe(output);
  });

  it.each([
    ['a ZWJ family', FAMILY],
    ['a skin-toned ZWJ sequence (joiner after the modifier)', '🧑🏽\u200d💻'],
    ['a VS16 ZWJ sequence (joiner after the selector)', '🏳\ufe0f\u200d🌈'],
    ['Persian with ZWNJ', 'می\u200cخواهم'],
    ['a Devanagari half form with ZWJ', 'क्\u200dष'],
    ['a joiner after a pictograph at the very end (a word cut by wrapping)', 'row ends 👨\u200d'],
    ['a ZWNJ after a non-ASCII letter at the very end', 'می\u200c'],
    ['plain text', 'hello, world'],
    ['line and paragraph separators (each renderer breaks lines its own way)', 'a\u2028b\u2029c'],
  ])('keeps %s', (_name, input) => {
    expect(markInvisible(input)).toBe(input);
  });

  it('is idempotent, so a second pass over rendered text changes nothing', () => {
    const text = `abc\u202egnp.exe ${FAMILY} x\u200dy \ufeff می\u200cخواهم`;
    const once = markInvisible(text);
    expect(markInvisible(once)).toBe(once);
    expect(once).not.toMatch(/[\u202a-\u202e\u2066-\u2069\u200b\ufeff]/);
  });
});
