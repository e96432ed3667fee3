import { describe, expect, it } from 'vitest';
import { cleanPaste, PASTE_END, PASTE_START, PasteSplitter, type InputPiece } from '../../client/ui/paste.js';
import { splitMessage } from '../../client/text/split.js';
import { codePointLength } from '../../shared/index.js';

/** Feeds the reads in turn, and lets held-back keys go after each (as the terminal's short timer does). */
function feed(chunks: string[], max?: number, flushBetween = false): InputPiece[] {
  const splitter = new PasteSplitter(max);
  const out = chunks.flatMap((c) => [...splitter.push(c), ...(flushBetween ? splitter.flush() : [])]);
  return [...out, ...splitter.flush()];
}

/** Joins neighbouring key pieces, so results compare the same however the input was cut into reads. */
function merged(pieces: InputPiece[]): InputPiece[] {
  const out: InputPiece[] = [];
  for (const p of pieces) {
    const last = out.at(-1);
    if (p.kind === 'keys' && last?.kind === 'keys') last.data += p.data;
    else out.push({ ...p });
  }
  return out;
}

describe('splitting terminal input into keys and bracketed pastes', () => {
  const input = `ab${PASTE_START}line 1\rline 2\r\x1b[A${PASTE_END}c\x1b\rd`;
  const expected: InputPiece[] = [
    { kind: 'keys', data: 'ab' },
    { kind: 'paste', text: 'line 1\rline 2\r\x1b[A', cut: false },
    { kind: 'keys', data: 'c' },
    { kind: 'newline' },
    { kind: 'keys', data: 'd' },
  ];

  it('takes a paste out whole, with its line breaks and escapes, and Alt+Enter as the newline key', () => {
    expect(feed([input])).toEqual(expected);
  });

  it('gives the same result wherever the reads cut the input, markers included', () => {
    for (let i = 1; i < input.length; i++) {
      for (const j of [i + 1, i + 3, input.length]) {
        if (j > input.length) continue;
        expect(merged(feed([input.slice(0, i), input.slice(i, j), input.slice(j)])), `cut at ${i}, ${j}`).toEqual(expected);
      }
    }
  });

  it('passes other sequences through at once, and the Escape key once nothing follows it', () => {
    expect(new PasteSplitter().push('\x1b[5~x')).toEqual([{ kind: 'keys', data: '\x1b[5~x' }]);
    const splitter = new PasteSplitter();
    expect(splitter.push('\x1b')).toEqual([]);
    expect(splitter.holding).toBe(true);
    expect(splitter.flush()).toEqual([{ kind: 'keys', data: '\x1b' }]);
    expect(feed(['a\x1b', 'b'], undefined, true)).toEqual([{ kind: 'keys', data: 'a' }, { kind: 'keys', data: '\x1b' }, { kind: 'keys', data: 'b' }]);
  });

  it('keeps at most the limit of one paste and says it was cut', () => {
    expect(feed([`${PASTE_START}0123456789`, `abc${PASTE_END}`], 8)).toEqual([{ kind: 'paste', text: '01234567', cut: true }]);
  });

  it('cleans pasted text: line breaks as \\n, no escapes or controls, no trailing line break', () => {
    expect(cleanPaste('a\r\nb\rc\n\x1b[31mred\x1b[0m\x07\ttab\n\n')).toBe('a\nb\nc\nred\ttab');
  });
});

describe('splitting a text too long for one message', () => {
  it('cuts at line breaks first, then spaces, never inside a cluster, each part within the limit', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i} ${'x'.repeat(20)}`).join('\n');
    const parts = splitMessage(lines, 100);
    expect(parts.join('\n')).toBe(lines);
    for (const p of parts) expect(codePointLength(p)).toBeLessThanOrEqual(100);
    expect(parts[0]!.endsWith('x')).toBe(true);

    const words = 'word '.repeat(50).trim();
    const byWords = splitMessage(words, 32);
    expect(byWords.join(' ')).toBe(words);

    const family = '👨‍👩‍👧‍👦'.repeat(10); // 7 code points each
    const byClusters = splitMessage(family, 20);
    expect(byClusters.join('')).toBe(family);
    for (const p of byClusters) expect(p).toMatch(/^(👨‍👩‍👧‍👦)+$/u);
  });

  it('leaves a text within the limit alone, and cuts even one cluster longer than a message', () => {
    expect(splitMessage('short')).toEqual(['short']);
    const zalgo = `a${'\u0301'.repeat(50)}`;
    expect(splitMessage(zalgo, 20).join('')).toBe(zalgo);
  });
});
