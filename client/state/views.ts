/** Pure operations on one view: ordered insertion, merge by seq without duplicates, trimming. */
import { caseFold, type ChatMessage } from '../../shared/index.js';
import type { ChatLine, ErrorLine, EventLine, FoundLine, InfoLine, Line, View, ViewKind } from './types.js';

/** Lines kept per view; older ones are dropped and can be fetched again by scrolling up. */
export const MAX_LINES_PER_VIEW = 2000;

export const SERVER_VIEW_ID = '*';

export function roomViewId(room: string): string {
  return caseFold(room);
}

export function dmViewId(nick: string): string {
  return `@${caseFold(nick)}`;
}

export function newView(id: string, kind: ViewKind, title: string): View {
  return {
    id, kind, title, topic: '', members: [], unlistedMembers: 0, lines: [], pending: [], unread: 0, mentioned: false,
    scroll: 0, newBelow: 0, hasOlder: false, synced: false, loadingOlder: false, minSeq: Infinity, maxSeq: 0, tick: 0,
  };
}

function before(a: Line, order: number, sub: number): boolean {
  return a.order < order || (a.order === order && a.sub < sub);
}

/** Index of the first line not before (order, sub). */
function lowerBound(lines: Line[], order: number, sub: number): number {
  let lo = 0;
  let hi = lines.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(lines[mid]!, order, sub)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function trimmed(view: View, lines: Line[]): View {
  if (lines.length <= MAX_LINES_PER_VIEW) return { ...view, lines };
  const kept = lines.slice(lines.length - MAX_LINES_PER_VIEW);
  const firstSeq = kept.find((l): l is ChatLine => l.kind === 'chat' && l.seq !== undefined)?.seq;
  return { ...view, lines: kept, hasOlder: view.kind === 'room' || view.hasOlder, minSeq: firstSeq ?? view.minSeq };
}

type NoteKind = 'event' | 'info' | 'error';
type NoteLine = EventLine | InfoLine | ErrorLine;

/** Appends a line that is not one of the view's messages after everything the view holds now. */
function addAfterAll(view: View, make: (order: number, sub: number) => NoteLine | FoundLine): View {
  const tick = view.tick + 1;
  const line = make(view.kind === 'room' ? view.maxSeq : tick, tick);
  const at = lowerBound(view.lines, line.order, line.sub);
  return trimmed({ ...view, tick }, [...view.lines.slice(0, at), line, ...view.lines.slice(at)]);
}

/** Appends a non-message line after everything the view holds now. */
export function addNote(view: View, kind: NoteKind, text: string, ts: number): View {
  return addAfterAll(view, (order, sub) => ({ kind, ts, text, order, sub }) as NoteLine);
}

/** Appends a message a search found (of any room) after everything the view holds now. */
export function addFound(view: View, m: ChatMessage): View {
  return addAfterAll(view, (order, sub) => {
    const line: FoundLine = { kind: 'found', order, sub, ts: m.ts, room: m.room, from: m.from, text: m.text };
    if (m.action) line.action = true;
    return line;
  });
}

export interface Perspective {
  me: string;
  mentions(text: string): boolean;
}

function chatLine(m: Omit<ChatMessage, 'room' | 'seq'> & { seq?: number }, order: number, who: Perspective): ChatLine {
  const self = caseFold(m.from) === caseFold(who.me);
  const line: ChatLine = {
    kind: 'chat', order, sub: 0, id: m.id, from: m.from, text: m.text, ts: m.ts, self,
    mention: !self && who.mentions(m.text),
  };
  if (m.seq !== undefined) line.seq = m.seq;
  if (m.action) line.action = true;
  return line;
}

export interface MergeResult {
  view: View;
  /** The lines that were new (not already present). */
  added: ChatLine[];
}

/** Merges room messages by seq: each seq appears once, in seq order, wherever it arrives from. */
export function mergeRoomMessages(view: View, messages: ChatMessage[], who: Perspective): MergeResult {
  let lines = view.lines;
  let copied = false;
  const added: ChatLine[] = [];
  let { minSeq, maxSeq } = view;
  for (const m of messages) {
    const at = lowerBound(lines, m.seq, 0);
    const existing = lines[at];
    if (existing && existing.kind === 'chat' && existing.order === m.seq && existing.sub === 0) continue;
    if (!copied) {
      lines = [...lines];
      copied = true;
    }
    const line = chatLine(m, m.seq, who);
    lines.splice(at, 0, line);
    added.push(line);
    minSeq = Math.min(minSeq, m.seq);
    maxSeq = Math.max(maxSeq, m.seq);
  }
  if (!copied) return { view, added };
  return { view: trimmed({ ...view, minSeq, maxSeq }, lines), added };
}

/** Adds a DM to its view unless a line with the same id is already there. */
export function addDirectMessage(view: View, m: Omit<ChatMessage, 'room' | 'seq'>, who: Perspective): MergeResult {
  if (view.lines.some((l) => l.kind === 'chat' && l.id === m.id)) return { view, added: [] };
  const tick = view.tick + 1;
  const line = chatLine(m, tick, who);
  return { view: trimmed({ ...view, tick }, [...view.lines, line]), added: [line] };
}

export function hasMessage(view: View, seq: number): boolean {
  const line = view.lines[lowerBound(view.lines, seq, 0)];
  return line !== undefined && line.kind === 'chat' && line.order === seq && line.sub === 0;
}

const NICK_CHAR = 'A-Za-z0-9_\\-\\[\\]\\\\^{}|';

/** True when `text` names `nick` as a whole word, ignoring case. */
export function mentionsNick(text: string, nick: string): boolean {
  if (!nick) return false;
  const escaped = nick.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  return new RegExp(`(?<![${NICK_CHAR}])${escaped}(?![${NICK_CHAR}])`, 'i').test(text);
}

/** Drops every line before seq `below`, so the view is contiguous again; scrolling up reloads them. */
export function cutBelow(view: View, below: number): View {
  const lines = view.lines.slice(lowerBound(view.lines, below, 0));
  const firstSeq = lines.find((l): l is ChatLine => l.kind === 'chat' && l.seq !== undefined)?.seq;
  return { ...view, lines, hasOlder: true, minSeq: firstSeq ?? Infinity };
}
