/**
 * Nick skeletons (Unicode TR39 §4): two nicks with a skeleton in common look alike, so a nick that
 * shares one with a registered nick is refused to anyone but that account. As ergo does, the skeleton is
 * taken first and case-folded after, so `AIice` (capital I) and `a|ice` both read as `alice`.
 */
import { caseFold } from './validate.js';

/**
 * The rows of confusables.txt (Unicode 15.1) whose source is in the nick alphabet (ASCII letters,
 * digits and `_-[]\^{}|`). Nicks are ASCII-only, so no other row can apply; if the nick rules ever
 * allow other scripts, this table must grow to the whole file.
 */
const CONFUSABLE: Readonly<Record<string, string>> = {
  '0': 'O', // DIGIT ZERO → LATIN CAPITAL LETTER O
  '1': 'l', // DIGIT ONE → LATIN SMALL LETTER L
  I: 'l', // LATIN CAPITAL LETTER I → LATIN SMALL LETTER L
  m: 'rn', // LATIN SMALL LETTER M → LATIN SMALL LETTER R, LATIN SMALL LETTER N
  '|': 'l', // VERTICAL LINE → LATIN SMALL LETTER L
};

function skeleton(nick: string): string {
  let out = '';
  for (const ch of nick) out += CONFUSABLE[ch] ?? ch;
  return caseFold(out);
}

/**
 * The skeletons of the nick as written and of its lowercase form: nicks are one nick whatever their
 * case, so `Mike`'s account must also keep `rnike` out (it looks like `mike`).
 */
export function nickSkeletons(nick: string): string[] {
  const written = skeleton(nick);
  const folded = skeleton(caseFold(nick));
  return written === folded ? [written] : [written, folded];
}
