/**
 * Property-based test of shared/lines.ts: the JSON-lines splitter gives the same lines and the same
 * over-long reports whatever the chunk boundaries, and they are the ones a plain split of the whole
 * stream gives. Random seed each run; a failure prints the seed and the shrunk stream.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { LineSplitter } from '../../shared/index.js';
import { chunked, runs } from '../helpers/arbitraries.js';

/** The events a splitter with cap `max` must report for the whole stream `bytes`. */
function model(bytes: Buffer, max: number): string[] {
  const parts = bytes.toString('latin1').split('\n');
  const partial = parts.pop()!;
  const events = parts.map((p) => (p.length > max ? 'oversize' : `line ${p.endsWith('\r') ? p.slice(0, -1) : p}`));
  // An unfinished line is reported as soon as it is too long to be kept.
  if (partial.length > max) events.push('oversize');
  return events;
}

function split(chunks: Buffer[], max: number): string[] {
  const events: string[] = [];
  const s = new LineSplitter(max, (line) => events.push(`line ${line.toString('latin1')}`), () => events.push('oversize'));
  for (const c of chunks) s.push(c);
  return events;
}

const streamByte = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...'ab{}"'.split('').map((c) => c.charCodeAt(0))) },
  { weight: 3, arbitrary: fc.constantFrom(10, 13) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
);
const stream = fc.array(streamByte, { maxLength: 80 }).map((b) => Buffer.from(b));


describe('LineSplitter under random chunking', () => {
  it('gives the lines and over-long reports of a plain split, whatever the chunk boundaries', () => {
    fc.assert(fc.property(stream, fc.array(fc.nat(), { maxLength: 10 }), fc.integer({ min: 1, max: 12 }), (bytes, cuts, max) => {
      const expected = model(bytes, max);
      assert.deepStrictEqual(split([bytes], max), expected);
      assert.deepStrictEqual(split(chunked(bytes, cuts), max), expected);
      assert.deepStrictEqual(split([...bytes].map((b) => Buffer.from([b])), max), expected);
    }), { numRuns: runs(60_000) });
  });
});
