/**
 * Cuts a text longer than the protocol allows into messages that each fit: at line breaks when it can,
 * else at spaces, else between grapheme clusters (an emoji or a flag is never cut in two). Lengths are in
 * code points, as the server counts them.
 */
import { codePointLength, TEXT_MAX } from '../../shared/index.js';
import { graphemes } from './width.js';

export function splitMessage(text: string, max = TEXT_MAX): string[] {
  const parts: string[] = [];
  let rest = text;
  while (codePointLength(rest, max) > max) {
    const head = fitting(rest, max);
    const cut = Math.max(head.lastIndexOf('\n'), 0) || Math.max(head.lastIndexOf(' '), 0) || head.length;
    const part = head.slice(0, cut).replace(/\s+$/, '');
    // A part of only spaces would be refused as empty: cut the clusters instead.
    const chosen = part.trim() === '' ? head : part;
    parts.push(chosen);
    rest = rest.slice(chosen.length).replace(/^[ \n]+/, '');
  }
  if (rest.trim() !== '') parts.push(rest);
  return parts;
}

/** The longest run of whole grapheme clusters at the start of `text` that is at most `max` code points. */
function fitting(text: string, max: number): string {
  let out = '';
  let used = 0;
  for (const g of graphemes(text.slice(0, max * 2 + 64))) {
    const n = codePointLength(g);
    if (used + n > max) break;
    out += g;
    used += n;
  }
  // One cluster longer than a whole message (thousands of combining marks) has to be cut after all.
  return out === '' ? Array.from(text).slice(0, max).join('') : out;
}
