/** The telnet/nc line decoder, fed raw bytes the way a socket would hand them over. */
import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { TelnetLineDecoder } from '../../server/transports/telnet.js';

const IAC = 0xff, DONT = 0xfe, DO = 0xfd, WONT = 0xfc, WILL = 0xfb, SB = 0xfa, SE = 0xf0;
const EL = 0xf8, EC = 0xf7, NOP = 0xf1, GA = 0xf9;
const ECHO = 1, SGA = 3, TTYPE = 24, NAWS = 31, LINEMODE = 34;
const CR = 0x0d, LF = 0x0a, NUL = 0x00, BS = 0x08, DEL = 0x7f;

type Part = string | number | number[];

/** Bytes from a mix of UTF-8 strings and byte values. */
function bytes(...parts: Part[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(typeof p === 'number' ? [p] : p))));
}

function decoder(maxBytes = 1024) {
  const lines: string[] = [];
  const raw: Buffer[] = [];
  const replies: number[][] = [];
  let oversize = 0;
  const d = new TelnetLineDecoder(
    maxBytes,
    (line) => { raw.push(line); lines.push(line.toString('utf8')); },
    () => { oversize++; },
    (reply) => { replies.push([...reply]); },
  );
  return {
    lines, raw, replies,
    get oversize() { return oversize; },
    push: (...parts: Part[]) => d.push(bytes(...parts)),
    /** Feeds one byte per push, the worst case of TCP segmentation. */
    trickle: (...parts: Part[]) => { for (const b of bytes(...parts)) d.push(Buffer.from([b])); },
  };
}

describe('line ends', () => {
  it('CRLF, bare LF, bare CR and CR NUL each end exactly one line', () => {
    const d = decoder();
    d.push('one', CR, LF, 'two', LF, 'three', CR, 'four', CR, NUL, 'five', CR, LF);
    expect(d.lines).toEqual(['one', 'two', 'three', 'four', 'five']);
  });

  it('a CR LF split across two chunks is one line end, not an extra empty line', () => {
    const d = decoder();
    d.push('hello', CR);
    expect(d.lines).toEqual(['hello']);
    d.push([LF], 'world', CR);
    d.push([NUL], 'again', LF);
    expect(d.lines).toEqual(['hello', 'world', 'again']);
  });

  it('byte-at-a-time delivery gives the same lines', () => {
    const d = decoder();
    d.trickle('a', CR, LF, 'b', CR, NUL, 'c', LF, 'd', CR);
    expect(d.lines).toEqual(['a', 'b', 'c', 'd']);
  });

  it('CR CR and LF LF are empty lines in between; text without a line end is held back', () => {
    const d = decoder();
    d.push('x', CR, CR, 'y', LF, LF, 'pending');
    expect(d.lines).toEqual(['x', '', 'y', '']);
    d.push(CR, LF);
    expect(d.lines).toEqual(['x', '', 'y', '', 'pending']);
  });

  it('keeps multi-byte UTF-8 intact, even when a character is split across chunks', () => {
    const d = decoder();
    const snow = Buffer.from('héllo ☃ 😀', 'utf8');
    d.push([...snow.subarray(0, 2)]);
    d.push([...snow.subarray(2, 9)]);
    d.push([...snow.subarray(9)], CR, LF);
    expect(d.lines).toEqual(['héllo ☃ 😀']);
  });

  it('a delivered line is a copy: later input does not overwrite it', () => {
    const d = decoder();
    d.push('first', LF, 'XXXXX', LF);
    expect(d.raw.map((b) => b.toString())).toEqual(['first', 'XXXXX']);
  });
});

describe('option negotiation', () => {
  it('IAC DO x is answered IAC WONT x, once per option, and never reaches the line', () => {
    const d = decoder();
    d.push('ab', IAC, DO, ECHO, 'cd', IAC, DO, ECHO, IAC, DO, SGA, 'e', CR, LF);
    expect(d.lines).toEqual(['abcde']);
    expect(d.replies).toEqual([[IAC, WONT, ECHO], [IAC, WONT, SGA]]);
    d.push(IAC, DO, SGA, IAC, DO, ECHO, 'f', LF);
    expect(d.replies).toHaveLength(2);
    expect(d.lines).toEqual(['abcde', 'f']);
  });

  it('IAC WILL x is answered IAC DONT x, once per option, separately from DO x', () => {
    const d = decoder();
    d.push(IAC, WILL, TTYPE, IAC, WILL, NAWS, IAC, WILL, TTYPE, IAC, DO, TTYPE, 'nick', CR, NUL);
    expect(d.replies).toEqual([[IAC, DONT, TTYPE], [IAC, DONT, NAWS], [IAC, WONT, TTYPE]]);
    expect(d.lines).toEqual(['nick']);
  });

  it('IAC WONT x and IAC DONT x are stripped and not answered', () => {
    const d = decoder();
    d.push('a', IAC, WONT, ECHO, 'b', IAC, DONT, LINEMODE, 'c', LF);
    expect(d.replies).toEqual([]);
    expect(d.lines).toEqual(['abc']);
  });

  it('a negotiation split across chunks is still recognised and answered', () => {
    const d = decoder();
    d.push('x', IAC);
    d.push([DO]);
    d.push([LINEMODE], 'y', LF);
    expect(d.replies).toEqual([[IAC, WONT, LINEMODE]]);
    expect(d.lines).toEqual(['xy']);
  });

  it('other two-byte commands (NOP, GA) are stripped silently', () => {
    const d = decoder();
    d.push('a', IAC, NOP, 'b', IAC, GA, 'c', CR, LF);
    expect(d.lines).toEqual(['abc']);
    expect(d.replies).toEqual([]);
  });

  it('a NAWS subnegotiation never leaks into the line, whole or byte by byte', () => {
    const naws = [IAC, SB, NAWS, 0, 80, 0, 24, IAC, SE];
    const whole = decoder();
    whole.push('ni', naws, 'ck', CR, LF);
    expect(whole.lines).toEqual(['nick']);
    expect(whole.replies).toEqual([]);
    const trickled = decoder();
    trickled.trickle('ni', naws, 'ck', CR, LF);
    expect(trickled.lines).toEqual(['nick']);
  });

  it('line-end and IAC bytes inside a subnegotiation are payload, not input', () => {
    // Width 13 (CR) x 10 (LF), and an escaped 255 in the payload: none of it may end a line.
    const d = decoder();
    d.push('a', IAC, SB, NAWS, 0, CR, 0, LF, IAC, IAC, 1, IAC, SE, 'b', LF);
    expect(d.lines).toEqual(['ab']);
    expect(d.replies).toEqual([]);
  });

  it('IAC IAC is one literal 0xFF data byte', () => {
    const d = decoder();
    d.push('a', IAC, IAC, 'b', LF);
    expect(d.raw.map((b) => [...b])).toEqual([[0x61, 0xff, 0x62]]);
  });

  it("a real telnet client's opening burst leaves only the typed line", () => {
    const d = decoder();
    d.push(
      IAC, DO, SGA, IAC, WILL, TTYPE, IAC, WILL, NAWS, IAC, WILL, 32, IAC, WILL, 33, IAC, WILL, 39,
      IAC, DO, ECHO, IAC, SB, NAWS, 0, 120, 0, 40, IAC, SE,
      'alice', CR, NUL,
    );
    expect(d.lines).toEqual(['alice']);
    expect(d.replies).toEqual([
      [IAC, WONT, SGA], [IAC, DONT, TTYPE], [IAC, DONT, NAWS], [IAC, DONT, 32], [IAC, DONT, 33], [IAC, DONT, 39],
      [IAC, WONT, ECHO],
    ]);
  });
});

describe('line editing', () => {
  it('backspace (0x08) and DEL (0x7f) each erase one character', () => {
    const d = decoder();
    d.push('helx', BS, 'lo', CR, LF, 'worlx', DEL, 'd', LF);
    expect(d.lines).toEqual(['hello', 'world']);
  });

  it('erasing removes a whole multi-byte UTF-8 character, never half of one', () => {
    const d = decoder();
    d.push('caf', 'é', BS, 'e', LF);
    d.push('ok ', '😀', DEL, '!', LF);
    d.push('a', '☃', '€', BS, BS, 'b', LF);
    expect(d.lines).toEqual(['cafe', 'ok !', 'ab']);
    for (const line of d.raw) expect(isUtf8(line)).toBe(true);
  });

  it('erasing past the start of the line is harmless and the next character still counts', () => {
    const d = decoder();
    d.push('ab', BS, BS, BS, BS, 'c', LF);
    expect(d.lines).toEqual(['c']);
  });

  it('a line erased to nothing is delivered as an empty line', () => {
    const d = decoder();
    d.push('x', BS, CR, LF);
    expect(d.lines).toEqual(['']);
  });

  it('IAC EC erases one character and IAC EL clears the line so far', () => {
    const d = decoder();
    d.push('abx', IAC, EC, 'c', LF);
    d.push('garbage', IAC, EL, 'clean', LF);
    d.push('é', IAC, EC, 'e', LF);
    expect(d.lines).toEqual(['abc', 'clean', 'e']);
    expect(d.replies).toEqual([]);
  });
});

describe('over-long lines', () => {
  it('a line over maxBytes is reported once, skipped to its end, and the next line is delivered', () => {
    const d = decoder(16);
    d.push('x'.repeat(10));
    d.push('y'.repeat(10));
    d.push('z'.repeat(100));
    expect(d.oversize).toBe(1);
    expect(d.lines).toEqual([]);
    d.push('still the same line', CR, LF, 'next', CR, LF);
    expect(d.oversize).toBe(1);
    expect(d.lines).toEqual(['next']);
  });

  it('exactly maxBytes is allowed; one more byte is too many', () => {
    const d = decoder(16);
    d.push('a'.repeat(16), LF);
    expect(d.lines).toEqual(['a'.repeat(16)]);
    expect(d.oversize).toBe(0);
    d.push('b'.repeat(17), LF);
    expect(d.oversize).toBe(1);
    expect(d.lines).toEqual(['a'.repeat(16)]);
  });

  it('each over-long line is reported separately', () => {
    const d = decoder(8);
    d.push('a'.repeat(20), CR, NUL, 'b'.repeat(20), CR, LF, 'ok', CR);
    expect(d.oversize).toBe(2);
    expect(d.lines).toEqual(['ok']);
  });

  it('backspace and IAC EL inside an over-long line do not revive it', () => {
    const d = decoder(8);
    d.push('a'.repeat(12), BS, BS, IAC, EL, 'tail', LF, 'fine', LF);
    expect(d.oversize).toBe(1);
    expect(d.lines).toEqual(['fine']);
  });

  it('the buffer grows past its starting size for long lines within the limit', () => {
    const d = decoder(4096);
    const long = 'é'.repeat(1500); // 3000 bytes
    d.push(long, LF);
    expect(d.lines).toEqual([long]);
    expect(d.oversize).toBe(0);
  });
});
