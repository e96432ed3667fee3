/** Builds a frame from the state and the input line. Pure: reads state, never changes it. */
import { currentView } from '../state/app-state.js';
import type { AppState, View } from '../state/types.js';
import { emptyFrame, place, type Frame, type Segment } from './frame.js';
import type { InputLine } from './input-line.js';
import { computeLayout, type Rect } from './layout.js';
import { pendingRows, RowCache, type Row } from './message-rows.js';
import { nickStyle, type Theme } from './theme.js';
import { caseFold, codePointLength, TEXT_MAX } from '../../shared/index.js';
import { stringWidth } from '../text/width.js';

export interface Rendered {
  frame: Frame;
  /** Rows the message pane shows at once (PgUp/PgDn step). */
  pageRows: number;
  /** How far the current view can scroll up before older history is needed. */
  maxScroll: number;
  /** Rows the current view's lines take at this width, and its newest line: to keep a scrolled-up reader in place. */
  totalRows: number;
  newest: unknown;
}

function roomList(frame: Frame, rect: Rect, state: AppState, theme: Theme): void {
  place(frame, rect.row, rect.col, rect.width, [{ text: 'Rooms', style: theme.heading }]);
  // Every view has a number (Alt+1..9, Alt+0 for 10, /win N for any); two digits widen the column.
  const keyWidth = state.views.length >= 10 ? 3 : 2;
  state.views.forEach((view, i) => {
    const row = rect.row + 1 + i;
    if (row >= rect.row + rect.height) return;
    const key = String(i + 1).padEnd(keyWidth);
    const count = view.unread > 0 ? String(view.unread > 999 ? '999+' : view.unread) : '';
    // key, name, a space, the mention mark, the count flush right.
    const nameWidth = Math.max(1, rect.width - key.length - 2 - count.length);
    const name = view.kind === 'dm' ? `@${view.title}` : view.title;
    const shown = name.length > nameWidth ? `${name.slice(0, nameWidth - 1)}…` : name.padEnd(nameWidth);
    const style = view.id === state.current ? theme.current : view.unread > 0 ? theme.unread : theme.plain;
    const segments: Segment[] = [
      { text: key, style: theme.time }, { text: shown, style }, { text: ' ', style: theme.plain },
      { text: view.mentioned ? '@' : ' ', style: theme.mentionMark }, { text: count, style: theme.unread },
    ];
    place(frame, row, rect.col, rect.width, segments);
  });
}

/** Away members are dimmed and marked, so the mark shows without colour too. */
const AWAY_MARK = ' (away)';

function memberList(frame: Frame, rect: Rect, view: View, theme: Theme, away: Record<string, string>): void {
  const title = view.kind === 'room' ? `Members (${view.members.length + view.unlistedMembers})` : view.kind === 'dm' ? 'Direct' : '';
  place(frame, rect.row, rect.col, rect.width, [{ text: title, style: theme.heading }]);
  // A nick too long for the column ends in … rather than being cut silently.
  const fit = (nick: string) => (stringWidth(nick) > rect.width ? `${nick.slice(0, Math.max(0, rect.width - 1))}…` : nick);
  const names = view.kind === 'dm' ? [view.title] : view.members;
  const room = Math.max(0, rect.height - 1);
  let unlisted = view.kind === 'room' ? view.unlistedMembers : 0;
  // What does not fit is counted in a last "+N more" row, like the members the server did not list.
  const shown = names.length + (unlisted > 0 ? 1 : 0) > room ? names.slice(0, Math.max(0, room - 1)) : names;
  unlisted += names.length - shown.length;
  const rows = shown.map((nick) => (Object.hasOwn(away, caseFold(nick))
    ? { text: fit(`${nick}${AWAY_MARK}`), style: { ...nickStyle(theme, nick), dim: true } }
    : { text: fit(nick), style: nickStyle(theme, nick) }));
  if (unlisted > 0) rows.push({ text: `+${unlisted} more`, style: theme.info });
  rows.slice(0, room).forEach((row, i) => place(frame, rect.row + 1 + i, rect.col, rect.width, [row]));
}

function separators(frame: Frame, col: number, rect: Rect, theme: Theme): void {
  for (let r = rect.row; r < rect.row + rect.height; r++) place(frame, r, col, 1, [{ text: '│', style: theme.border }]);
}

function messageRows(state: AppState, view: View, width: number, theme: Theme, cache: RowCache): Row[] {
  const rows: Row[] = [];
  if (view.loadingOlder) rows.push([{ text: '… loading older messages', style: theme.info }]);
  else if (view.kind === 'room' && !view.hasOlder && (view.synced || Number.isFinite(view.minSeq))) {
    rows.push([{ text: `— start of ${view.title} —`, style: theme.event }]);
  }
  const mark = view.readUpTo;
  let marked = mark === undefined;
  for (const line of view.lines) {
    if (!marked && (line.order > mark!.order || (line.order === mark!.order && line.sub > mark!.sub))) {
      marked = true;
      const label = ' new ';
      const side = Math.max(0, Math.floor((width - label.length) / 2));
      rows.push([{ text: `${'─'.repeat(side)}${label}${'─'.repeat(Math.max(0, width - side - label.length))}`, style: theme.info }]);
    }
    rows.push(...cache.rows(line, width, theme));
  }
  for (const p of view.pending) rows.push(...pendingRows(p, state.me, width, theme, cache.clock));
  return rows;
}

/** Views with unread lines, by number, `@` for a mention: the room list's news when it is hidden. */
function hotlist(state: AppState): string {
  const active = state.views.flatMap((v, i) => (v.id !== state.current && (v.unread > 0 || v.mentioned) ? [`${i + 1}${v.mentioned ? '@' : ''}`] : []));
  return active.length ? ` │ unread: ${active.join(' ')}` : '';
}

/**
 * Most important first, since a narrow window cuts it from the right: the connection, where you are
 * (and, without the room list, where there is news), then your nick, the round trip, the server, the topic.
 */
function statusLine(state: AppState, view: View, theme: Theme, now: number, roomListShown: boolean): { segments: Segment[] } {
  const conn = state.conn;
  const label = conn.state === 'reconnecting'
    ? `reconnecting${conn.retryAt !== undefined ? ` in ${Math.max(0, (conn.retryAt - now) / 1000).toFixed(1)}s` : ''}`
    : conn.state;
  const where = view.kind === 'dm' ? `@${view.title}` : view.title;
  const segments: Segment[] = [
    { text: ` ${conn.state === 'online' ? '●' : '○'} ${label} `, style: conn.state === 'online' ? theme.barOnline : theme.barOffline },
    { text: ` ${where}`, style: { ...theme.bar, bold: true } },
  ];
  if (!roomListShown) {
    const news = hotlist(state);
    if (news) segments.push({ text: news, style: state.views.some((v) => v.mentioned && v.id !== state.current) ? theme.barOffline : theme.bar });
  }
  if (view.scroll > 0) {
    const below = view.newBelow > 0 ? `, ${view.newBelow} new below` : '';
    segments.push({ text: ` │ scrolled ↑${view.scroll}${below} (Esc: back down)`, style: view.newBelow > 0 ? { ...theme.bar, bold: true } : theme.bar });
  }
  segments.push({ text: ` │ ${state.me}${Object.hasOwn(state.away, caseFold(state.me)) ? ' (away)' : ''}`, style: theme.bar });
  if (state.lagMs !== undefined && conn.state === 'online') {
    // A frozen server: how long the last ping has waited, not the last round trip that worked.
    segments.push({ text: ` │ no answer for ${Math.floor(state.lagMs / 1000)} s`, style: theme.barOffline });
  } else if (state.rttMs !== undefined && conn.state === 'online') {
    segments.push({ text: ` │ rtt ${state.rttMs} ms`, style: theme.bar });
  }
  segments.push({ text: ` │ ${state.server}`, style: theme.bar });
  if (view.topic) segments.push({ text: ` │ ${view.topic}`, style: theme.bar });
  return { segments };
}

/** Near or over the length limit, the prompt counts characters; a multi-line input says how many lines. */
function inputSize(text: string): string {
  const lines = text.split('\n').length;
  const length = codePointLength(text, TEXT_MAX * 64);
  const parts = [lines > 1 ? `${lines} lines` : '', length > TEXT_MAX * 0.75 ? `${length}/${TEXT_MAX}` : ''].filter(Boolean);
  return parts.length ? ` ${parts.join(' ')}` : '';
}

export function renderFrame(
  state: AppState, input: InputLine, width: number, height: number, theme: Theme, cache = new RowCache(), now = Date.now(),
): Rendered {
  const frame = emptyFrame(Math.max(1, width), Math.max(1, height));
  const layout = computeLayout(width, height);
  const view = currentView(state);
  if (layout.rooms) {
    roomList(frame, layout.rooms, state, theme);
    separators(frame, layout.rooms.col + layout.rooms.width, layout.rooms, theme);
  }
  if (layout.members) {
    memberList(frame, layout.members, view, theme, state.away);
    separators(frame, layout.members.col - 1, layout.members, theme);
  }
  const pane = layout.messages;
  let maxScroll = 0;
  let totalRows = 0;
  if (pane.width > 0 && pane.height > 0) {
    const rows = messageRows(state, view, pane.width, theme, cache);
    totalRows = rows.length;
    maxScroll = Math.max(0, rows.length - pane.height);
    const scroll = Math.min(view.scroll, maxScroll);
    const end = rows.length - scroll;
    const visible = rows.slice(Math.max(0, end - pane.height), end);
    // Like a chat log, the newest line sits at the bottom of the pane.
    const top = pane.row + pane.height - visible.length;
    visible.forEach((row, i) => place(frame, top + i, pane.col, pane.width, row));
  }
  if (layout.statusRow !== undefined) {
    place(frame, layout.statusRow, 0, layout.width, statusLine(state, view, theme, now, layout.rooms !== undefined).segments, theme.bar);
  }
  if (state.confirm) {
    place(frame, layout.inputRow, 0, layout.width, [{ text: state.confirm.question, style: theme.prompt }]);
    frame.cursor = { row: layout.inputRow, col: Math.min(layout.width - 1, stringWidth(state.confirm.question)) };
    return { frame, pageRows: Math.max(1, pane.height - 1), maxScroll, totalRows, newest: view.lines.at(-1) };
  }
  const prompt = state.nickPrompt !== undefined ? 'nick: ' : `[${view.kind === 'dm' ? `@${view.title}` : view.title}${inputSize(input.text)}] `;
  const promptWidth = Math.min(prompt.length, Math.max(0, layout.width - 2));
  const shown = input.view(layout.width - promptWidth);
  place(frame, layout.inputRow, 0, promptWidth, [{ text: prompt, style: theme.prompt }]);
  place(frame, layout.inputRow, promptWidth, layout.width - promptWidth, [{ text: shown.text, style: theme.plain }]);
  frame.cursor = { row: layout.inputRow, col: Math.min(layout.width - 1, promptWidth + shown.cursorCol) };
  return { frame, pageRows: Math.max(1, pane.height - 1), maxScroll, totalRows, newest: view.lines.at(-1) };
}
