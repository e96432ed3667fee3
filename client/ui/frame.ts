/**
 * A frame is what the screen should show: for each row, spans placed at fixed columns, each a list of
 * styled segments. Spans are cut and padded to their width per grapheme cluster, and every piece of
 * text is sanitized here, so nothing from the network reaches the terminal unfiltered.
 */
import { sanitizeLine } from '../text/sanitize.js';
import { clusterWidth, graphemes } from '../text/width.js';
import type { Style } from './theme.js';

export interface Segment {
  text: string;
  style: Style;
}

export interface Span {
  col: number;
  width: number;
  segments: Segment[];
  /** Style of the padding after the text (bars fill their whole width). */
  fill?: Style;
}

export interface Frame {
  width: number;
  height: number;
  rows: Span[][];
  /** Where the terminal cursor should rest (the input line), or undefined to hide it. */
  cursor?: { row: number; col: number };
}

export function emptyFrame(width: number, height: number): Frame {
  return { width, height, rows: Array.from({ length: height }, () => []) };
}

export function place(frame: Frame, row: number, col: number, width: number, segments: Segment[], fill?: Style): void {
  if (row < 0 || row >= frame.height || width <= 0 || col >= frame.width) return;
  const clipped = Math.min(width, frame.width - col);
  frame.rows[row]!.push(fill ? { col, width: clipped, segments, fill } : { col, width: clipped, segments });
}

/** Cuts segments to exactly `width` columns (padding with the fill style), never splitting a cluster. */
export function fitSegments(segments: Segment[], width: number, fill: Style = {}): Segment[] {
  const out: Segment[] = [];
  let used = 0;
  for (const seg of segments) {
    let text = '';
    for (const g of graphemes(sanitizeLine(seg.text))) {
      const w = clusterWidth(g);
      if (used + w > width) break;
      text += g;
      used += w;
    }
    if (text) out.push({ text, style: seg.style });
    if (used >= width) break;
  }
  if (used < width) out.push({ text: ' '.repeat(width - used), style: fill });
  return out;
}

/** The plain text of a frame, one string per row: what a screen capture of it should read. */
export function frameText(frame: Frame): string[] {
  return frame.rows.map((spans) => {
    let line = '';
    let col = 0;
    for (const span of [...spans].sort((a, b) => a.col - b.col)) {
      if (span.col > col) line += ' '.repeat(span.col - col);
      line += fitSegments(span.segments, span.width).map((s) => s.text).join('');
      col = span.col + span.width;
    }
    return line.padEnd(line.length + Math.max(0, frame.width - col));
  });
}
