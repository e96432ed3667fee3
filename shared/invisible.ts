/**
 * Characters that change how a line reads without being seen: bidi controls (an RLO turns
 * `abc\u202Egnp.exe` into "abcexe.png") and zero-width characters that hide inside words. The
 * protocol carries them as the user typed them; the human renderings (text mode, the terminal
 * client) show them as `<U+XXXX>`, so a line means the same on every screen. (Those renderings
 * also treat U+2028/U+2029 as line breaks, each in its own way.)
 */

// Bidi: ALM, LRM, RLM, LRE..RLO, LRI..PDI. Zero width: ZWSP, ZWNJ, ZWJ, WJ, the invisible operators, BOM.
const INVISIBLE = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
const INVISIBLE_ALL = new RegExp(INVISIBLE.source, 'g');
/** What a joiner may join: a letter, mark or pictograph (emoji, skin tone) outside ASCII. */
const JOINABLE = /[\p{L}\p{M}\p{Extended_Pictographic}\p{Emoji_Modifier}]/u;
const ZWNJ = 0x200c;
const ZWJ = 0x200d;

/** `<U+202E>`: how a neutralised character is shown. */
function invisibleMarker(char: string): string {
  return `<U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}>`;
}

function joinable(codePoint: number | undefined): boolean {
  return codePoint !== undefined && codePoint > 0x7f && JOINABLE.test(String.fromCodePoint(codePoint));
}

/** The code point that ends just before UTF-16 index `i`. */
function codePointBefore(text: string, i: number): number | undefined {
  if (i <= 0) return undefined;
  const low = text.charCodeAt(i - 1);
  if (low >= 0xdc00 && low <= 0xdfff && i >= 2) {
    const high = text.charCodeAt(i - 2);
    if (high >= 0xd800 && high <= 0xdbff) return text.codePointAt(i - 2);
  }
  return low;
}

/**
 * ZWJ and ZWNJ do real work between non-ASCII letters (Persian, Indic scripts) and inside emoji
 * sequences (👨‍👩‍👧), so there they stay: after a non-ASCII letter, mark or pictograph, and before
 * another or at the end of the text (where wrapping may have cut a word). Anywhere else, in
 * particular between ASCII letters, they would only hide a difference, so they are shown.
 */
function joinerWorks(text: string, i: number): boolean {
  if (!joinable(codePointBefore(text, i))) return false;
  return i + 1 === text.length || joinable(text.codePointAt(i + 1));
}

/** Replaces each bidi control and zero-width character (but a working joiner) with `<U+XXXX>`. */
export function markInvisible(text: string): string {
  if (!INVISIBLE.test(text)) return text;
  return text.replace(INVISIBLE_ALL, (char: string, offset: number) => {
    const code = char.charCodeAt(0);
    if ((code === ZWJ || code === ZWNJ) && joinerWorks(text, offset)) return char;
    return invisibleMarker(char);
  });
}
