/** Turns state lines into wrapped, styled screen rows for the message pane. */
import type { Line, PendingLine } from '../state/types.js';
import { sanitizeLines } from '../text/sanitize.js';
import { stringWidth } from '../text/width.js';
import { wrapLine } from '../text/wrap.js';
import type { Segment } from './frame.js';
import { nickStyle, type Style, type Theme } from './theme.js';
import { defaultTimeFormat, type TimeFormat } from './time-format.js';

export type Row = Segment[];

/** A found message's day and time: it may be from any day. */
export function dayClock(ts: number, clock: TimeFormat = defaultTimeFormat): string {
  const d = new Date(ts);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${clock(ts)}`;
}

/** The time before a line; an empty format (`"time": ""`) shows none. */
function timeSegment(ts: number, clock: TimeFormat, theme: Theme): Segment {
  const stamp = clock(ts);
  return { text: stamp === '' ? '' : `${stamp} `, style: theme.time };
}

/**
 * Starts every row of a line after its first (its later lines and the pieces of a wrapped one), at the
 * end of the indent: another user's text never begins a row, so no part of it can pass for a line.
 */
export const CONTINUATION = '↳ ';

/** Wraps `text` after a `head` of segments; continuation rows carry CONTINUATION, indented under the text when room allows. */
function wrapped(head: Segment[], text: string, style: Style, width: number, theme: Theme): Row[] {
  const headWidth = head.reduce((n, s) => n + stringWidth(s.text), 0);
  const indent = width - headWidth >= 12 ? headWidth : CONTINUATION.length;
  const continuation = (piece: string): Row => [
    { text: ' '.repeat(indent - CONTINUATION.length), style: {} }, { text: CONTINUATION, style: theme.time }, { text: piece, style },
  ];
  const rows: Row[] = [];
  let first = true;
  for (const paragraph of foldBlankRuns(sanitizeLines(text))) {
    const firstWidth = first ? width - headWidth : width - indent;
    const pieces = wrapLine(paragraph, Math.max(1, firstWidth));
    const head0 = pieces.shift() ?? '';
    rows.push(first ? [...head, { text: head0, style }] : continuation(head0));
    first = false;
    const rest = pieces.join(' ');
    if (rest) for (const piece of wrapLine(rest, Math.max(1, width - indent))) rows.push(continuation(piece));
  }
  return rows;
}

/** More blank lines in a row than this in one message are folded into one note, so no message can blank the screen. */
const BLANK_RUN_SHOWN = 2;

function foldBlankRuns(paragraphs: string[]): string[] {
  const out: string[] = [];
  let blanks = 0;
  const flush = () => {
    if (blanks > BLANK_RUN_SHOWN) out.push(`[… ${blanks} blank lines]`);
    else for (let i = 0; i < blanks; i++) out.push('');
    blanks = 0;
  };
  for (const p of paragraphs) {
    if (p.trim() === '') {
      blanks++;
      continue;
    }
    flush();
    out.push(p);
  }
  flush();
  return out;
}

export function lineRows(line: Line, width: number, theme: Theme, clock: TimeFormat = defaultTimeFormat): Row[] {
  const time = timeSegment(line.ts, clock, theme);
  switch (line.kind) {
    case 'chat': {
      const textStyle = line.mention ? theme.mention : theme.plain;
      const nick = nickStyle(theme, line.from);
      const head: Segment[] = line.action
        ? [time, { text: '* ', style: textStyle }, { text: `${line.from} `, style: nick }]
        : [time, { text: '<', style: theme.time }, { text: line.from, style: { ...nick, bold: line.self || nick.bold } }, { text: '> ', style: theme.time }];
      return wrapped(head, line.text, textStyle, width, theme);
    }
    case 'event': return wrapped([time, { text: '-- ', style: theme.event }], line.text, theme.event, width, theme);
    case 'info': return wrapped([time, { text: '-!- ', style: theme.info }], line.text, theme.plain, width, theme);
    case 'error': return wrapped([time, { text: '!! ', style: theme.error }], line.text, theme.error, width, theme);
    case 'found': {
      const nick = nickStyle(theme, line.from);
      const head: Segment[] = [{ text: `${dayClock(line.ts, clock)} `, style: theme.time }, { text: `${line.room} `, style: theme.info }];
      if (line.action) head.push({ text: '* ', style: theme.plain }, { text: `${line.from} `, style: nick });
      else head.push({ text: '<', style: theme.time }, { text: line.from, style: nick }, { text: '> ', style: theme.time });
      return wrapped(head, line.text, theme.plain, width, theme);
    }
  }
}

export function pendingRows(p: PendingLine, me: string, width: number, theme: Theme, clock: TimeFormat = defaultTimeFormat): Row[] {
  const time = timeSegment(p.ts, clock, theme);
  const head: Segment[] = p.action ? [time, { text: `* ${me} `, style: theme.pending }] : [time, { text: `<${me}> `, style: theme.pending }];
  const note = p.status === 'failed' ? ` [not sent: ${p.reason ?? 'failed'}]` : p.status === 'queued' ? ' [queued: offline]' : ' [sending…]';
  const rows = wrapped(head, p.text, theme.pending, width, theme);
  rows.push([{ text: ' '.repeat(Math.min(6, width)), style: {} }, { text: note.trim(), style: p.status === 'failed' ? theme.failed : theme.pending }]);
  return rows;
}

/** Caches wrapped rows per line object and width: lines are immutable, so identity is a safe key. */
export class RowCache {
  private cache = new WeakMap<Line, { width: number; theme: Theme; rows: Row[] }>();

  constructor(readonly clock: TimeFormat = defaultTimeFormat) {}

  rows(line: Line, width: number, theme: Theme): Row[] {
    const hit = this.cache.get(line);
    if (hit && hit.width === width && hit.theme === theme) return hit.rows;
    const rows = lineRows(line, width, theme, this.clock);
    this.cache.set(line, { width, theme, rows });
    return rows;
  }
}
