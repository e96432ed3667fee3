/**
 * Draws frames on a terminal with plain xterm sequences. Each span is placed with an absolute cursor
 * move and its cells erased first (ECH), so a terminal that disagrees with our width table can at worst
 * misdraw inside one span: the next span still starts at its own column (chjj/blessed #422).
 * Only rows that changed since the last frame are rewritten.
 */
import { fitSegments, type Frame, type Span } from './frame.js';
import { sgr } from './theme.js';
import { titleSequence } from './title.js';

export class TerminalWriter {
  private previous: string[] = [];
  private lastTitle: string | undefined;

  constructor(private readonly write: (data: string) => void) {}

  /** Forgets what is on screen, so the next draw repaints every row (after a resize or Ctrl+L). */
  invalidate(): void {
    this.previous = [];
    this.write('\x1b[0m\x1b[2J');
  }

  draw(frame: Frame): void {
    let out = '\x1b[?25l';
    const encoded = frame.rows.map((spans, row) => encodeRow(spans, row));
    encoded.forEach((text, row) => {
      if (this.previous[row] === text) return;
      // Clear the whole row first: spans need not cover it, and stale cells must not survive.
      out += `\x1b[0m\x1b[${row + 1};1H\x1b[2K${text}\x1b[0m`;
    });
    this.previous = encoded;
    if (frame.cursor) out += `\x1b[${frame.cursor.row + 1};${frame.cursor.col + 1}H\x1b[?25h`;
    this.write(out);
  }

  bell(): void {
    this.write('\x07');
  }

  /** Sets the window title, when it changed. */
  title(text: string): void {
    if (text === this.lastTitle) return;
    this.lastTitle = text;
    this.write(titleSequence(text));
  }
}

/** Left to right, so if the terminal draws a span wider than we measured, the next span overwrites the excess. */
function encodeRow(spans: Span[], row: number): string {
  return [...spans].sort((a, b) => a.col - b.col).map((span) => {
    let text = `\x1b[${row + 1};${span.col + 1}H\x1b[${span.width}X`;
    for (const seg of fitSegments(span.segments, span.width, span.fill)) text += sgr(seg.style) + seg.text;
    return text;
  }).join('');
}
