/**
 * Makes network text safe to draw: no escape sequence or control character from another user may
 * move the cursor, change the title or colours, and no bidi control or zero-width character may
 * reorder or hide part of a line: those are shown as `<U+XXXX>`, as in the server's text mode.
 */
import { markInvisible } from '../../shared/index.js';

// CSI (ESC [ or the one-byte C1 form 0x9b), OSC/DCS/APC/PM/SOS strings up to BEL or ST, then any other ESC x.
const ESCAPE_SEQUENCE =
  /(?:\x1b\[|\x9b)[\x20-\x3f]*[\x40-\x7e]?|(?:\x1b[\]P_^X]|[\x90\x9d\x9e\x9f\x98])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[\x20-\x2f]*[\x30-\x7e]?/g;
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Text with every terminal escape sequence taken out (pasted text may carry colours). */
export function stripEscapes(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '');
}

/**
 * One display line: escape sequences removed, tabs and line breaks (U+2028/U+2029 too) become spaces,
 * controls dropped, bidi and zero-width characters marked (see shared/invisible.ts).
 */
export function sanitizeLine(text: string): string {
  return markInvisible(text.replace(ESCAPE_SEQUENCE, '').replace(/[\t\n\r\u2028\u2029]/g, ' ').replace(CONTROLS, ''));
}

/** Several display lines: like sanitizeLine, but '\n', U+2028 and U+2029 separate lines. */
export function sanitizeLines(text: string): string[] {
  return text.replace(/\r\n?/g, '\n').split(/[\n\u2028\u2029]/).map(sanitizeLine);
}
