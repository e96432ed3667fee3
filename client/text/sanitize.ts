/**
 * Makes network text safe to draw: no escape sequence or control character from another user may
 * move the cursor, change the title or colours, or reorder the line (bidi overrides).
 */

// CSI (ESC [ or the one-byte C1 form 0x9b), OSC/DCS/APC/PM/SOS strings up to BEL or ST, then any other ESC x.
const ESCAPE_SEQUENCE =
  /(?:\x1b\[|\x9b)[\x20-\x3f]*[\x40-\x7e]?|(?:\x1b[\]P_^X]|[\x90\x9d\x9e\x9f\x98])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[\x20-\x2f]*[\x30-\x7e]?/g;
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** One display line: escape sequences removed, tabs and line breaks become spaces, controls dropped. */
export function sanitizeLine(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(/[\t\n\r\u2028\u2029]/g, ' ').replace(CONTROLS, '');
}

/** Several display lines: like sanitizeLine, but '\n' separates lines. */
export function sanitizeLines(text: string): string[] {
  return text.replace(/\r\n?/g, '\n').split(/[\n\u2028\u2029]/).map(sanitizeLine);
}
