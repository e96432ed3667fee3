/**
 * Other users' text laid out in rows for nc/telnet users, so no part of it can pass for a line of the
 * server's: every row after a line's first starts with CONTINUATION, a prefix no line of the server's
 * starts with. That holds for the later lines of a multi-line text ('\n', U+2028, U+2029) and for the
 * pieces of a line too long for one row. The server cannot know the terminal's width, so it cuts rows at
 * 80 columns, counting every character at least as wide as a terminal draws it: a terminal of 80 columns
 * or more never wraps a row itself, so the sender never decides where a row begins.
 */
import { eastAsianWidth } from 'get-east-asian-width';
import { markInvisible } from '../../shared/invisible.js';

export const ROW_COLUMNS = 80;
/** Starts every continuation row; the bar sits under the clock's `]`, the text under the room name. */
export const CONTINUATION = '      | ';
const EOL = '\r\n';
/** A head that leaves fewer columns than this for text ends its row; the text starts on the next. */
const FIRST_ROW_MIN = 16;
/** More blank lines in a row than this are folded into one note, as in the terminal client. */
const BLANK_RUN_SHOWN = 2;

/**
 * Columns a terminal gives a code point, or more: wide East Asian characters and emoji take two,
 * and everything else one, even combining marks and joiners that take none (an emoji sequence is
 * counted as the sum of its parts, at least what any terminal draws).
 */
function columns(codePoint: number): number {
  return codePoint < 0x7f ? 1 : eastAsianWidth(codePoint);
}

/** Cuts one line into rows of at most `first` columns, then `rest`: after a space when the row has one, else between code points. */
function cut(line: string, first: number, rest: number): string[] {
  // A UTF-16 unit is never more than two columns, so most lines are settled without measuring.
  if (line.length * 2 <= first) return [line];
  const rows: string[] = [];
  let max = first;
  let row = '';
  let used = 0;
  let afterSpace = 0; // length of `row` up to and including its last space after some text, 0 for none
  let usedAtSpace = 0;
  for (const char of line) {
    const width = columns(char.codePointAt(0)!);
    if (used + width > max && row !== '') {
      max = rest;
      if (char === ' ') {
        // The space that would overflow is the break itself.
        rows.push(row.trimEnd());
        row = '';
        used = 0;
        afterSpace = 0;
        continue;
      }
      if (afterSpace > 0) {
        rows.push(row.slice(0, afterSpace).trimEnd());
        row = row.slice(afterSpace);
        used -= usedAtSpace;
      } else {
        rows.push(row);
        row = '';
        used = 0;
      }
      afterSpace = 0;
      // What moved down can still be wider than a continuation row when the first row was the wider.
      while (used + width > max && row !== '') {
        const [head, tail] = splitAt(row, max);
        rows.push(head);
        row = tail;
        used = widthOf(tail);
      }
    }
    row += char;
    used += width;
    if (char === ' ' && row.trim() !== '') {
      afterSpace = row.length;
      usedAtSpace = used;
    }
  }
  rows.push(row);
  return rows;
}

function widthOf(s: string): number {
  let n = 0;
  for (const char of s) n += columns(char.codePointAt(0)!);
  return n;
}

/** The longest start of `s` at most `max` columns wide (at least one code point), and the rest. */
function splitAt(s: string, max: number): [string, string] {
  let used = 0;
  let i = 0;
  for (const char of s) {
    const width = columns(char.codePointAt(0)!);
    if (used + width > max && i > 0) break;
    used += width;
    i += char.length;
  }
  return [s.slice(0, i), s.slice(i)];
}

function foldBlankRuns(lines: string[]): string[] {
  const out: string[] = [];
  let blanks = 0;
  const flush = () => {
    if (blanks > BLANK_RUN_SHOWN) out.push(`[${blanks} blank lines]`);
    else for (let i = 0; i < blanks; i++) out.push('');
    blanks = 0;
  };
  for (const line of lines) {
    if (line.trim() === '') {
      blanks++;
      continue;
    }
    flush();
    out.push(line);
  }
  flush();
  return out;
}

/**
 * `head` (the server's own, ASCII) and then `text`, as CRLF-separated rows without the final CRLF.
 * In `text`, '\n', U+2028 and U+2029 start a new line, a tab is four spaces, and bidi controls and
 * zero-width characters show as `<U+XXXX>`.
 */
export function withText(head: string, text: string): string {
  const rest = ROW_COLUMNS - CONTINUATION.length;
  const rows: string[] = ROW_COLUMNS - head.length >= FIRST_ROW_MIN ? [] : [head.trimEnd()];
  const lines = foldBlankRuns(markInvisible(text).replace(/\t/g, '    ').split(/[\n\u2028\u2029]/));
  for (const line of lines) {
    const first = rows.length === 0 ? ROW_COLUMNS - head.length : rest;
    for (const piece of cut(line, first, rest)) rows.push(rows.length === 0 ? head + piece : CONTINUATION + piece);
  }
  return rows.join(EOL);
}
