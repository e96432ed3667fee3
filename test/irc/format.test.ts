/**
 * server/irc/format.ts: every mIRC formatting and colour code stripped with exactly the digits it owns,
 * CTCP ACTION to and from our actions, and other CTCP handed back.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACTION_PREFIX, ACTION_SUFFIX, CTCP_QUERIES, actionText, ctcp, readIncomingText, stripFormatting,
} from '../../server/irc/format.js';
import { textProblem } from '../../shared/validate.js';
import { runs } from '../helpers/arbitraries.js';

describe('stripFormatting', () => {
  it.each([
    ['plain text', 'plain text'],
    ['\u0002bold\u0002', 'bold'],
    ['\u001ditalic\u001d', 'italic'],
    ['\u001funderline\u001f', 'underline'],
    ['\u001estrike\u001e', 'strike'],
    ['\u0011mono\u0011', 'mono'],
    ['\u0016reverse\u0016', 'reverse'],
    ['\u0002\u001dmix\u000f reset', 'mix reset'],
    ['\u00034red', 'red'],
    ['\u000304red', 'red'],
    ['\u00034,12red on blue', 'red on blue'],
    ['\u000304,02x', 'x'],
    ['\u00031234', '34'],
    ['\u000312,345', '5'],
    ['\u000312,x', ',x'],
    ['\u00034,', ','],
    ['\u0003,12x', ',12x'],
    ['\u0003off', 'off'],
    ['\u000399,99default', 'default'],
    ['2\u0003 + 2', '2 + 2'],
    ['\u0004FF0000red', 'red'],
    ['\u0004ff0000,00FF00x', 'x'],
    ['\u0004ff0000,00FFx', ',00FFx'],
    ['\u0004FFFfff', ''],
    ['\u0004FFF', 'FFF'],
    ['\u0004off', 'off'],
    ['\u0004', ''],
    ['a\u0003\u0003b', 'ab'],
    ['é\u000303😀\u0002你', 'é😀你'],
  ])('%j → %j', (input, output) => {
    expect(stripFormatting(input)).toBe(output);
  });

  it('leaves other control characters for our text rules to refuse', () => {
    expect(stripFormatting('a\u0007b\u001bc\u0001')).toBe('a\u0007b\u001bc\u0001');
    expect(textProblem(stripFormatting('a\u0007b'))).toMatch(/control characters/);
  });

  it('leaves text that passes our text rules passing them', () => {
    const formatted = '\u00034,1\u0002hello\u000f \u001dworld\u001d \u0004aabbccok';
    expect(textProblem(formatted)).toMatch(/control characters/);
    expect(textProblem(stripFormatting(formatted))).toBeNull();
  });

  it('leaves no formatting code behind and leaves text without codes unchanged', () => {
    const codeless = fc.string({ unit: fc.constantFrom('a', '1', ',', 'F', ' ', 'é', '😀', '0') });
    const piece = fc.oneof(
      codeless,
      fc.constantFrom('\u0002', '\u000f', '\u0011', '\u0016', '\u001d', '\u001e', '\u001f', '\u0003', '\u0004'),
    );
    fc.assert(fc.property(fc.array(piece, { maxLength: 20 }), (pieces) => {
      const out = stripFormatting(pieces.join(''));
      assert.ok(!/[\u0002\u0003\u0004\u000f\u0011\u0016\u001d\u001e\u001f]/.test(out));
    }), { numRuns: runs(3_000) });
    fc.assert(fc.property(codeless, (text) => assert.equal(stripFormatting(text), text)), { numRuns: runs(1_000) });
  });
});

describe('readIncomingText', () => {
  it.each([
    ['hello', { kind: 'text', text: 'hello', action: false }],
    ['\u0002hi\u0002', { kind: 'text', text: 'hi', action: false }],
    ['', { kind: 'text', text: '', action: false }],
    ['\u0001ACTION waves\u0001', { kind: 'text', text: 'waves', action: true }],
    ['\u0001ACTION waves', { kind: 'text', text: 'waves', action: true }],
    ['\u0001action waves\u0001', { kind: 'text', text: 'waves', action: true }],
    ['\u0001ACTION \u00034waves\u0003 back\u0001', { kind: 'text', text: 'waves back', action: true }],
    ['\u0001ACTION\u0001', { kind: 'text', text: '', action: true }],
    ['\u0001ACTION  two spaces \u0001', { kind: 'text', text: ' two spaces ', action: true }],
    ['a \u0001ACTION not at the start\u0001', { kind: 'text', text: 'a \u0001ACTION not at the start\u0001', action: false }],
  ])('%j', (raw, expected) => {
    expect(readIncomingText(raw)).toEqual(expected);
  });

  it.each([
    ['\u0001VERSION\u0001', 'VERSION', true, ''],
    ['\u0001PING 1700000000 123\u0001', 'PING', true, '1700000000 123'],
    ['\u0001TIME\u0001', 'TIME', true, ''],
    ['\u0001version\u0001', 'VERSION', true, ''],
    ['\u0001CLIENTINFO', 'CLIENTINFO', true, ''],
    ['\u0001DCC SEND file 2130706433 5000 10\u0001', 'DCC', true, 'SEND file 2130706433 5000 10'],
    ['\u0001FOO bar\u0001', 'FOO', false, 'bar'],
    ['\u0001\u0001', '', false, ''],
    ['\u0001', '', false, ''],
  ])('%j is CTCP %s', (raw, command, known, params) => {
    expect(readIncomingText(raw)).toEqual({ kind: 'ctcp', command, known, params });
  });

  it('knows the usual queries', () => {
    expect(CTCP_QUERIES).toEqual(expect.arrayContaining(['ACTION', 'VERSION', 'PING', 'TIME']));
  });
});

describe('CTCP out', () => {
  it('wraps an action', () => {
    expect(actionText('waves')).toBe('\u0001ACTION waves\u0001');
    expect(`${ACTION_PREFIX}waves${ACTION_SUFFIX}`).toBe(actionText('waves'));
  });

  it('builds a CTCP reply with and without params', () => {
    expect(ctcp('VERSION', 'chat 0.1.0')).toBe('\u0001VERSION chat 0.1.0\u0001');
    expect(ctcp('PING', '123')).toBe('\u0001PING 123\u0001');
    expect(ctcp('CLIENTINFO')).toBe('\u0001CLIENTINFO\u0001');
  });

  it('reads back every action it writes', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('a', ' ', 'é', '😀', ':') }), (text) => {
      assert.deepStrictEqual(readIncomingText(actionText(text)), { kind: 'text', text, action: true });
    }), { numRuns: runs(1_000) });
  });
});
