/**
 * shared/lines.ts: LineSplitter fed raw bytes, the way ws's receiver tests feed frames. A small cap
 * (8 bytes) keeps the edges visible; the cap counts the bytes before '\n'.
 */
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../shared/index.js';

const CAP = 8;

function splitter(cap = CAP) {
  const lines: string[] = [];
  let oversize = 0;
  const s = new LineSplitter(cap, (line) => lines.push(line.toString('utf8')), () => oversize++);
  return {
    s,
    lines,
    oversize: () => oversize,
    push: (...chunks: (string | Buffer)[]) => {
      for (const c of chunks) s.push(typeof c === 'string' ? Buffer.from(c) : c);
    },
    buffered: () => (s as unknown as { pendingBytes: number }).pendingBytes,
  };
}

describe('LineSplitter: framing', () => {
  const cases: { name: string; chunks: string[]; lines: string[] }[] = [
    { name: 'one LF line', chunks: ['hello\n'], lines: ['hello'] },
    { name: 'several lines in one chunk', chunks: ['a\nbb\nccc\n'], lines: ['a', 'bb', 'ccc'] },
    { name: 'CRLF endings lose the CR', chunks: ['a\r\nb\r\n'], lines: ['a', 'b'] },
    { name: 'mixed LF and CRLF', chunks: ['a\nb\r\nc\n'], lines: ['a', 'b', 'c'] },
    { name: 'only one trailing CR is dropped', chunks: ['a\r\r\n'], lines: ['a\r'] },
    { name: 'a CR inside a line stays', chunks: ['a\rb\n'], lines: ['a\rb'] },
    { name: 'a bare CR does not end a line', chunks: ['a\rb\r'], lines: [] },
    { name: 'empty lines are delivered', chunks: ['\n\r\n\n'], lines: ['', '', ''] },
    { name: 'nothing until the newline', chunks: ['partial'], lines: [] },
    { name: 'a line split over chunks', chunks: ['hel', 'lo\nwor', 'ld\n'], lines: ['hello', 'world'] },
    { name: 'CR and LF in different chunks', chunks: ['abc\r', '\n'], lines: ['abc'] },
    { name: 'the newline alone in a chunk', chunks: ['abc', '\n'], lines: ['abc'] },
    { name: 'empty chunks change nothing', chunks: ['', 'a', '', '\n', ''], lines: ['a'] },
  ];
  it.each(cases)('$name', ({ chunks, lines }) => {
    const t = splitter();
    t.push(...chunks);
    expect(t.lines).toStrictEqual(lines);
    expect(t.oversize()).toBe(0);
  });

  it('delivers the same lines when fed one byte at a time', () => {
    const t = splitter();
    for (const byte of Buffer.from('one\r\ntwo\n\nthree\n')) t.push(Buffer.from([byte]));
    expect(t.lines).toStrictEqual(['one', 'two', '', 'three']);
  });

  it('keeps a multi-byte UTF-8 character intact when it is split across chunks', () => {
    const t = splitter(64);
    const bytes = Buffer.from('é😀\n');
    for (const byte of bytes) t.push(Buffer.from([byte]));
    expect(t.lines).toStrictEqual(['é😀']);
  });

  it('copies what it keeps, so reusing the chunk buffer does not change the line', () => {
    const t = splitter();
    const chunk = Buffer.from('abc');
    t.push(chunk);
    chunk.write('xyz');
    t.push('\n');
    expect(t.lines).toStrictEqual(['abc']);
  });
});

describe('LineSplitter: the cap', () => {
  it('delivers a line of exactly the cap in one chunk', () => {
    const t = splitter();
    t.push('12345678\n');
    expect(t.lines).toStrictEqual(['12345678']);
    expect(t.oversize()).toBe(0);
  });

  it('delivers a line of exactly the cap when the buffered part reaches the cap', () => {
    const t = splitter();
    t.push('1234', '5678');
    expect(t.buffered()).toBe(CAP);
    t.push('\n');
    expect(t.lines).toStrictEqual(['12345678']);
    expect(t.oversize()).toBe(0);
    expect(t.buffered()).toBe(0);
  });

  it('delivers a CRLF line whose bytes before LF fill the cap, without the CR', () => {
    const t = splitter();
    t.push('1234567\r\n');
    expect(t.lines).toStrictEqual(['1234567']);
  });

  it('refuses a line one byte over the cap in one chunk, once, and delivers the next line', () => {
    const t = splitter();
    t.push('123456789\nnext\n');
    expect(t.lines).toStrictEqual(['next']);
    expect(t.oversize()).toBe(1);
  });

  it('refuses a line that goes over the cap only when its newline arrives', () => {
    const t = splitter();
    t.push('12345', '6789\nnext\n');
    expect(t.lines).toStrictEqual(['next']);
    expect(t.oversize()).toBe(1);
  });

  it('reports a long line without a newline once, however many chunks it spans', () => {
    const t = splitter();
    t.push('123456789');
    expect(t.oversize()).toBe(1);
    for (let i = 0; i < 100; i++) t.push('xxxxxxxxxxxxxxxx');
    expect(t.oversize()).toBe(1);
    expect(t.lines).toStrictEqual([]);
    t.push('tail\nnext\n');
    expect(t.lines).toStrictEqual(['next']);
    expect(t.oversize()).toBe(1);
  });

  it('never delivers the tail of a refused line', () => {
    const t = splitter();
    t.push('abcdefghij', 'klm\r\n', 'ok\n');
    expect(t.lines).toStrictEqual(['ok']);
  });

  it('reports each oversize line once', () => {
    const t = splitter();
    t.push('123456789\n', 'a\n', 'abcdefghijkl', 'm\n', 'b\n', 'zzzzzzzzzzz\n');
    expect(t.lines).toStrictEqual(['a', 'b']);
    expect(t.oversize()).toBe(3);
  });

  it('carries on after an oversize line whose newline ends the chunk', () => {
    const t = splitter();
    t.push('123456789', '\n');
    t.push('after\n');
    expect(t.lines).toStrictEqual(['after']);
    expect(t.oversize()).toBe(1);
  });

  it('never buffers more than the cap', () => {
    const t = splitter();
    const chunks = ['1234567', '8', '9', 'abc', '\n', '12', '345678', 'x\nyy', 'y', '\n', 'z'.repeat(1000), '\n'];
    for (const c of chunks) {
      t.push(c);
      expect(t.buffered()).toBeLessThanOrEqual(CAP);
    }
    expect(t.lines).toStrictEqual(['yyy']);
    expect(t.oversize()).toBe(3);
  });

  it('does not keep a huge chunk without a newline', () => {
    const t = splitter(1024);
    t.push(Buffer.alloc(10 * 1024 * 1024, 0x61));
    expect(t.buffered()).toBe(0);
    expect(t.oversize()).toBe(1);
  });
});
