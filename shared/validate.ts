/** Pure name and text rules shared by server and client. */
import { NICK_MAX, ROOM_NAME_MAX, TEXT_MAX } from './limits.js';

const NICK_RE = new RegExp(`^[A-Za-z][A-Za-z0-9_\\-\\[\\]\\\\^{}|]{0,${NICK_MAX - 1}}$`);
const ROOM_RE = new RegExp(`^#[A-Za-z0-9_-]{1,${ROOM_NAME_MAX}}$`);
// C0 controls except \t and \n, DEL, and C1 controls (0x9b is a one-byte CSI on some terminals).
const TEXT_CONTROL_RE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const LINE_CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;
// In /u mode a valid pair is one astral code point, so only a surrogate without its partner is Cs.
const LONE_SURROGATE_RE = /\p{Cs}/u;

export function isValidNick(nick: string): boolean {
  return NICK_RE.test(nick);
}

/** Names compare case-insensitively by ASCII case: `Alice`, `ALICE` and `alice` are one nick. */
export function caseFold(name: string): string {
  return name.toLowerCase();
}

/** `lobby` and `#Lobby` both name `#Lobby`; returns null when the name breaks the room rules. */
export function normalizeRoom(room: string): string | null {
  const name = room.startsWith('#') ? room : `#${room}`;
  return ROOM_RE.test(name) ? name : null;
}

/** Length in Unicode code points, so an emoji counts as one character, not two UTF-16 units. */
export function codePointLength(s: string, stopAfter = Infinity): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // Skip the second half only of a real pair: a lone high surrogate is one code point, as in [...s].
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    if (++n > stopAfter) break;
  }
  return n;
}

/**
 * True when `s` is well-formed UTF-16 (no surrogate without its partner). A lone surrogate has no UTF-8
 * form: SQLite would store U+FFFD in its place, so a message would read back changed from history.
 */
export function isWellFormedText(s: string): boolean {
  return !LONE_SURROGATE_RE.test(s);
}

const UNPAIRED = 'contains an unpaired surrogate (invalid Unicode)';

function tooLong(s: string, max: number): boolean {
  // A code point is at most two UTF-16 units, so most strings are settled without counting.
  return s.length > max && codePointLength(s, max) > max;
}

/** Why `text` is not a valid chat message, or null when it is. */
export function textProblem(text: string, max = TEXT_MAX): string | null {
  if (text.length === 0) return 'text is empty';
  if (tooLong(text, max)) return `text is longer than ${max} characters`;
  if (TEXT_CONTROL_RE.test(text)) return 'text contains control characters (only \\n and \\t are allowed)';
  if (!isWellFormedText(text)) return `text ${UNPAIRED}`;
  return null;
}

/** Why a one-line field (topic, reason) is not valid, or null; empty is allowed. */
export function lineProblem(field: string, value: string, max: number): string | null {
  if (tooLong(value, max)) return `${field} is longer than ${max} characters`;
  if (LINE_CONTROL_RE.test(value)) return `${field} contains control characters`;
  if (!isWellFormedText(value)) return `${field} ${UNPAIRED}`;
  return null;
}
