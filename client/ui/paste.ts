/**
 * Splits raw terminal input into keys, bracketed pastes and the newline key, before blessed parses keys.
 * With bracketed paste on (ESC[?2004h) the terminal wraps pasted text in ESC[200~ … ESC[201~, so a pasted
 * block can become one message instead of one message per line (weechat and irssi do the same). Blessed
 * knows neither these markers nor Alt+Enter, so both are taken out here; everything else passes through.
 */
import { TEXT_MAX } from '../../shared/index.js';
import { stripEscapes } from '../text/sanitize.js';

export const PASTE_START = '\x1b[200~';
export const PASTE_END = '\x1b[201~';
export const BRACKETED_PASTE_ON = '\x1b[?2004h';
export const BRACKETED_PASTE_OFF = '\x1b[?2004l';

/** The most of one paste kept: the rest is dropped (the paste says it was cut). */
export const PASTE_MAX = 32 * TEXT_MAX;

/** Alt+Enter (ESC CR, or ESC LF): a newline in the input instead of sending it. */
const NEWLINE_KEY = /\x1b[\r\n]/;

export type InputPiece =
  | { kind: 'keys'; data: string }
  | { kind: 'paste'; text: string; cut: boolean }
  | { kind: 'newline' };

/** How many characters at the end of `data` could be the start of `marker` (not all of it). */
function partialAt(data: string, marker: string, least: number): number {
  for (let k = Math.min(marker.length - 1, data.length); k >= least; k--) {
    if (data.endsWith(marker.slice(0, k))) return k;
  }
  return 0;
}

export class PasteSplitter {
  private pasting = false;
  private pasted = '';
  private cut = false;
  /** The end of the last chunk, when it may be the first part of a marker cut between reads. */
  private carry = '';

  constructor(private readonly maxPaste = PASTE_MAX) {}

  push(chunk: string): InputPiece[] {
    let data = this.carry + chunk;
    this.carry = '';
    const out: InputPiece[] = [];
    while (data !== '') {
      if (this.pasting) {
        const end = data.indexOf(PASTE_END);
        if (end < 0) {
          const keep = partialAt(data, PASTE_END, 1);
          this.add(data.slice(0, data.length - keep));
          this.carry = data.slice(data.length - keep);
          break;
        }
        this.add(data.slice(0, end));
        out.push({ kind: 'paste', text: this.pasted, cut: this.cut });
        this.pasting = false;
        this.pasted = '';
        this.cut = false;
        data = data.slice(end + PASTE_END.length);
        continue;
      }
      const start = data.indexOf(PASTE_START);
      if (start < 0) {
        // What may be the start of a marker waits for the next read; flush() lets it go as keys (the Escape key).
        const keep = partialAt(data, PASTE_START, 1);
        keys(out, data.slice(0, data.length - keep));
        this.carry = data.slice(data.length - keep);
        break;
      }
      keys(out, data.slice(0, start));
      this.pasting = true;
      data = data.slice(start + PASTE_START.length);
    }
    return out;
  }

  /** Keys held back because they could have begun a paste marker (call shortly after a read that left some). */
  get holding(): boolean {
    return !this.pasting && this.carry !== '';
  }

  /** No more input came: what was held back was keys after all (a lone ESC is the Escape key). */
  flush(): InputPiece[] {
    if (!this.holding) return [];
    const out: InputPiece[] = [];
    keys(out, this.carry);
    this.carry = '';
    return out;
  }

  private add(text: string): void {
    const room = this.maxPaste - this.pasted.length;
    if (text.length > room) this.cut = true;
    this.pasted += text.slice(0, Math.max(0, room));
  }
}

function keys(out: InputPiece[], data: string): void {
  let rest = data;
  for (let m = NEWLINE_KEY.exec(rest); m; m = NEWLINE_KEY.exec(rest)) {
    if (m.index > 0) out.push({ kind: 'keys', data: rest.slice(0, m.index) });
    out.push({ kind: 'newline' });
    rest = rest.slice(m.index + m[0].length);
  }
  if (rest !== '') out.push({ kind: 'keys', data: rest });
}

/**
 * Pasted text as it may go into the input: line breaks as '\n', no other control characters (a pasted
 * escape sequence must not reach the server), no trailing line break (copying whole lines adds one).
 */
export function cleanPaste(text: string): string {
  return stripEscapes(text)
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '')
    .replace(/\n+$/, '');
}
