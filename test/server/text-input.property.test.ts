/**
 * Property-based tests of the TCP text mode's input side, without a socket: the telnet/nc byte decoder
 * (server/transports/telnet.ts) and what a decoded line becomes (server/transports/text-input.ts).
 * Whatever bytes arrive, in whatever chunks, nothing throws; the same lines come out; every refusal
 * carries a documented code; every message the server would act on passes the protocol's validation.
 * Random seed each run; a failure prints the seed and the shrunk input.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { ErrorCode, validateClientMessage } from '../../shared/index.js';
import { TelnetLineDecoder } from '../../server/transports/telnet.js';
import { readTextLine } from '../../server/transports/text-input.js';
import { chunked, currentRoom, runs, typedLine } from '../helpers/arbitraries.js';

const CODES = new Set<string>(Object.values(ErrorCode));
const IAC = 255;

/** Bytes weighted towards what the decoder treats specially: IAC and its verbs, CR, LF, NUL, BS, DEL, UTF-8 lead bytes. */
const telnetByte = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 3, arbitrary: fc.constantFrom(IAC, 254, 253, 252, 251, 250, 248, 247, 240, 13, 10, 0, 8, 127, 1, 3, 24, 31) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
);
const telnetStream = fc.array(telnetByte, { maxLength: 120 }).map((b) => Buffer.from(b));


function decode(chunks: Buffer[], max: number): string[] {
  const events: string[] = [];
  const decoder = new TelnetLineDecoder(
    max,
    (line) => events.push(`line ${line.toString('hex')}`),
    () => events.push('oversize'),
    (reply) => events.push(`reply ${reply.toString('hex')}`),
  );
  for (const c of chunks) decoder.push(c);
  return events;
}

describe('the telnet/nc line decoder on any bytes', () => {
  it('never throws, and gives the same lines, refusals and replies however the bytes are chunked', () => {
    fc.assert(fc.property(telnetStream, fc.array(fc.nat(), { maxLength: 8 }), fc.integer({ min: 1, max: 16 }), (bytes, cuts, max) => {
      const whole = decode([bytes], max);
      assert.deepStrictEqual(decode(chunked(bytes, cuts), max), whole);
      assert.deepStrictEqual(decode([...bytes].map((b) => Buffer.from([b])), max), whole);
      for (const e of whole) {
        if (!e.startsWith('line ')) continue;
        const line = Buffer.from(e.slice(5), 'hex');
        assert.ok(line.length <= max, 'a line over the cap');
        // Line ends, NUL and erase characters never reach a line.
        for (const b of [0, 8, 10, 13, 127]) assert.ok(!line.includes(b), `byte ${b} in a line`);
      }
    }), { numRuns: runs(40_000) });
  });
});

/** A typed line as the bytes a terminal sends: UTF-8 with arrow keys and erase characters mixed in, or any bytes. */
const typedBytes = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(typedLine, fc.array(fc.tuple(fc.nat(), fc.constantFrom('\x1b[A', '\x1b[1;5D', '\x1bO', '\x1b', '\x07', '\x7f', '\x08', '\x0c')), { maxLength: 3 })).map(([line, noise]) => {
    let s = line;
    for (const [at, n] of noise) {
      const i = at % (s.length + 1);
      s = s.slice(0, i) + n + s.slice(i);
    }
    return Buffer.from(s, 'utf8');
  }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)) },
);

describe('a text-mode line on any bytes', () => {
  it('never throws; refuses only with documented codes; makes only valid messages', () => {
    fc.assert(fc.property(typedBytes, fc.boolean(), currentRoom, (bytes, registered, room) => {
      const outcome = readTextLine(bytes, { registered, room: registered ? room : undefined });
      switch (outcome.kind) {
        case 'none':
        case 'help':
          return;
        case 'refuse':
          assert.ok(CODES.has(outcome.code), `undocumented code ${outcome.code}`);
          assert.ok(outcome.message.length > 0, 'a refusal without a message');
          return;
        case 'message': {
          assert.deepStrictEqual(validateClientMessage(outcome.message), { ok: true, value: outcome.message });
          // A registered user's line never makes a hello; before hello, a plain line or /nick makes one.
          const text = bytes.toString('utf8');
          if (registered) assert.notEqual(outcome.message.type, 'hello');
          else if (outcome.message.type !== 'hello') assert.ok(text.includes('/'), 'a plain line made no hello');
          return;
        }
        default:
          assert.fail(`unknown outcome ${JSON.stringify(outcome)}`);
      }
    }), { numRuns: runs(150_000) });
  });
});
