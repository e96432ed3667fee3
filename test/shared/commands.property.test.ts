/**
 * Property-based tests of the slash-command parser (shared/commands.ts), which the text mode and the
 * terminal client both use: whatever a person types, it never throws; a refusal is a usage error or
 * carries a documented code; a message it makes passes the protocol's own validation unchanged.
 * Random seed each run; a failure prints the seed and the shrunk line.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { ErrorCode, parseInput, validateClientMessage, type InputOutcome } from '../../shared/index.js';
import { currentRoom, typedLine, runs } from '../helpers/arbitraries.js';

const CODES = new Set<string>(Object.values(ErrorCode));

function expectSound(outcome: InputOutcome): void {
  switch (outcome.kind) {
    case 'message':
      assert.deepStrictEqual(validateClientMessage(outcome.message), { ok: true, value: outcome.message });
      assert.notEqual(outcome.message.type, 'hello', 'a command made a hello');
      return;
    case 'help':
      assert.ok(outcome.text.length > 0);
      return;
    case 'error':
      assert.ok(outcome.message.length > 0, 'an error without a message');
      if (outcome.code !== undefined) assert.ok(CODES.has(outcome.code), `undocumented code ${outcome.code}`);
      return;
    default:
      assert.fail(`unknown outcome ${JSON.stringify(outcome)}`);
  }
}

describe('parseInput on anything a person types', () => {
  it('never throws; every message it makes is valid, every refusal a usage error or a documented code', () => {
    fc.assert(fc.property(typedLine, currentRoom, (line, room) => {
      expectSound(parseInput(line, { room }));
    }), { numRuns: runs(150_000) });
  });

  it('sends plain text to the current room as typed (less trailing space), or says why not', () => {
    const plain = typedLine.filter((l) => !l.trimEnd().startsWith('/') || l.trimEnd().startsWith('//'));
    fc.assert(fc.property(plain, currentRoom, (line, room) => {
      const outcome = parseInput(line, { room });
      expectSound(outcome);
      const trimmed = line.trimEnd();
      const text = trimmed.startsWith('//') ? trimmed.slice(1) : trimmed;
      if (outcome.kind === 'message') {
        assert.deepStrictEqual(outcome.message, { type: 'say', room, text });
      } else {
        assert.equal(outcome.kind, 'error');
        // Nothing to send, no room, or the text rules (TEXT_INVALID) refused it.
        assert.ok(text.trim() === '' || room === undefined || outcome.code === ErrorCode.TEXT_INVALID, outcome.message);
      }
    }), { numRuns: runs(30_000) });
  });
});
