/**
 * Our messages may hold many lines and up to 4000 characters; an IRC line holds one line of text and 512
 * bytes with its CRLF. This cuts text into pieces that each fit one PRIVMSG or NOTICE, at UTF-8 code
 * point boundaries always, at grapheme boundaries (so an emoji or an accented letter stays whole) when
 * one fits, and after a space when one is near enough to the end.
 */
import { Buffer } from 'node:buffer';
import { BODY_MAX_BYTES } from './message.js';

/** The fewest bytes a piece may be given: one code point of UTF-8 takes up to four. */
export const MIN_BUDGET = 4;

/** What a blank line of text is sent as: IRC has no empty message, and a space keeps the gap visible. */
export const BLANK_LINE = ' ';

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Bytes one piece of text may take in a line `<prefix><piece><suffix>`, tags not counted (they have a
 * budget of their own). `prefix` is everything before the text, e.g. `:nick!user@host PRIVMSG #room :`,
 * and `suffix` what follows it (the closing \x01 of a CTCP ACTION).
 */
export function textBudget(prefix: string, suffix = ''): number {
  return BODY_MAX_BYTES - Buffer.byteLength(prefix) - Buffer.byteLength(suffix);
}

/**
 * One piece or more per line of `text` ('\n' separates lines), each at most `budget` bytes of UTF-8;
 * a blank line becomes BLANK_LINE. The pieces of one line concatenate back to it exactly: a space at a
 * cut stays at the end of the earlier piece.
 */
export function splitText(text: string, budget: number): string[] {
  checkBudget(budget);
  return text.split('\n').flatMap((line) => (line === '' ? [BLANK_LINE] : splitLine(line, budget)));
}

/** Cuts one line (no '\n') into pieces of at most `budget` bytes; see splitText. */
export function splitLine(line: string, budget: number): string[] {
  checkBudget(budget);
  const pieces: string[] = [];
  let rest = line;
  // A code point is at most 3 bytes per UTF-16 unit, so short strings are settled without counting.
  while (rest.length * 3 > budget && Buffer.byteLength(rest) > budget) {
    const cut = cutPoint(rest, budget);
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  pieces.push(rest);
  return pieces;
}

function checkBudget(budget: number): void {
  if (!Number.isInteger(budget) || budget < MIN_BUDGET) {
    throw new RangeError(`a piece of text needs a budget of at least ${MIN_BUDGET} bytes, got ${budget}`);
  }
}

/** Where to end the first piece of `s` (longer than `budget` bytes): an index in UTF-16 units, above 0. */
function cutPoint(s: string, budget: number): number {
  const hard = codePointCut(s, budget);
  // Grapheme boundaries up to `hard`; a boundary after a space is preferred in the second half.
  let boundary = 0;
  let afterSpace = 0;
  for (const { index, segment } of graphemes.segment(s)) {
    const end = index + segment.length;
    if (end > hard) break;
    boundary = end;
    if (segment === ' ') afterSpace = end;
  }
  if (boundary === 0) return hard; // one grapheme longer than a whole piece: cut it between code points
  return afterSpace * 2 > boundary ? afterSpace : boundary;
}

/** The longest prefix of `s` within `budget` bytes that ends between two code points. */
function codePointCut(s: string, budget: number): number {
  let bytes = 0;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    let units = 1;
    let size: number;
    if (c < 0x80) size = 1;
    else if (c < 0x800) size = 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) {
      size = 4;
      units = 2;
    } else size = 3; // the rest of the BMP, and a lone surrogate (sent as U+FFFD)
    if (bytes + size > budget) break;
    bytes += size;
    i += units;
  }
  return i;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
