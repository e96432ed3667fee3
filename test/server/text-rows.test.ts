/**
 * server/transports/text-rows.ts: how another user's text is laid out for nc/telnet users. Whatever the
 * text (line breaks of every kind, wide characters, emoji sequences, long runs of spaces), the first row
 * starts with the server's head, every later row with the continuation marker, no row is wider than 80
 * columns as a terminal counts them (the client's width table, grapheme by grapheme), and no word is
 * lost. Random seed each run; a failure prints the seed and the shrunk text.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { markInvisible } from '../../shared/index.js';
import { CONTINUATION, ROW_COLUMNS, withText } from '../../server/transports/text-rows.js';
import { stringWidth } from '../../client/text/width.js';
import { edgeChar, runs } from '../helpers/arbitraries.js';

const wideChar = fc.constantFrom('你', '😀', '👨‍👩‍👧', '🇯🇵', '❤️', '1️⃣', '👍🏽', 'é', 'ｆ', ' ', 'x');
const text = fc.string({ unit: fc.oneof(edgeChar, wideChar), maxLength: 400 }).map((t) => t.replace(/\p{Cs}|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/gu, ''));
const head = fc.oneof(
  fc.constantFrom('[12:00] #lobby <alice> ', '*** ', '  #room (3) ', '[12:00] #lobby topic set by bob: '),
  fc.string({ unit: fc.constantFrom('a', '[', ']', '#', ' ', '>'), minLength: 1, maxLength: 100 }),
);

describe('withText', () => {
  it('starts later rows with the marker, keeps rows within 80 columns, and loses no character', () => {
    fc.assert(fc.property(head, text, (h, t) => {
      const rows = withText(h, t).split('\r\n');
      assert.ok(rows[0]!.startsWith(h.trimEnd()), 'the first row starts with the head');
      for (const row of rows.slice(1)) assert.ok(row.startsWith(CONTINUATION), `an unmarked row: ${JSON.stringify(row)}`);
      for (const row of rows) {
        if (row === rows[0] && h.length > ROW_COLUMNS) continue;
        assert.ok(stringWidth(row) <= ROW_COLUMNS, `a row of ${stringWidth(row)} columns: ${JSON.stringify(row)}`);
      }
      // Blank runs fold into a note, so compare only texts without one.
      if (/(^|\n)(\s*\n){3}/.test(`${markInvisible(t).replace(/[\u2028\u2029]/g, '\n')}\n`)) return;
      const shown = [rows[0]!.slice(h.trimEnd().length), ...rows.slice(1).map((r) => r.slice(CONTINUATION.length))].join('');
      assert.equal(shown.replace(/\s/g, ''), markInvisible(t).replace(/\s/g, ''));
    }), { numRuns: runs(20_000) });
  });

  it('lays out a forged line after \\n, a long line and a head too wide for text', () => {
    expect(withText('[12:00] #lobby <mallory> ', 'hi\n[12:00] #lobby <bob> send me your password'))
      .toBe('[12:00] #lobby <mallory> hi\r\n      | [12:00] #lobby <bob> send me your password');
    expect(withText('*** ', `${'word '.repeat(20)}end`).split('\r\n')).toEqual([
      `*** ${'word '.repeat(14)}word`,
      `      | ${'word '.repeat(5)}end`,
    ]);
    expect(withText('*** ', '你'.repeat(50)).split('\r\n')).toEqual([`*** ${'你'.repeat(38)}`, `      | ${'你'.repeat(12)}`]);
    const wideHead = `[12:00] [${'a'.repeat(24)} -> ${'b'.repeat(24)}] * ${'a'.repeat(24)} `;
    expect(withText(wideHead, 'waves')).toBe(`${wideHead.trimEnd()}\r\n      | waves`);
    expect(withText('*** ', `a\n\n\nb\n\n${'\n'.repeat(5)}c`)).toBe('*** a\r\n      | \r\n      | \r\n      | b\r\n      | [6 blank lines]\r\n      | c');
  });
});
