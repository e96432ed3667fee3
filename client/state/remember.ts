/** Between runs: what of the state is remembered (see persist/memory.ts), and how it comes back. */
import type { Remembered } from '../persist/memory.js';
import { ensureView, findView } from './app-state.js';
import type { AppState, ChatLine, View } from './types.js';
import { dmViewId, roomViewId } from './views.js';

/** How much input history is kept. */
const HISTORY_KEPT = 200;

export function rememberedFrom(state: AppState, history: readonly string[]): Remembered {
  const read: Record<string, number> = { ...state.pendingRead };
  for (const v of state.views) {
    if (v.kind !== 'room') continue;
    const seen = v.id === state.current ? v.maxSeq : (v.readSeq ?? v.maxSeq);
    read[v.id] = Math.max(seen, state.pendingRead[v.id] ?? 0);
  }
  return {
    rooms: state.views.filter((v) => v.kind === 'room').map((v) => v.title),
    dms: state.views.filter((v) => v.kind === 'dm').map((v) => v.title),
    current: state.current,
    history: history.slice(-HISTORY_KEPT),
    read,
  };
}

/**
 * Reopens the DM views (DMs are not stored by the server, so they come back empty), keeps the read
 * positions for when each room's history arrives, and goes back to the view that was current once it
 * is there again (a room when it is rejoined).
 */
export function restore(state: AppState, memory: Remembered): AppState {
  let s = memory.dms.reduce((acc, nick) => ensureView(acc, dmViewId(nick), 'dm', nick), state);
  s = { ...s, pendingRead: { ...memory.read } };
  const current = memory.current;
  if (current && findView(s, current)?.kind === 'dm') return { ...s, current };
  if (current && memory.rooms.some((r) => roomViewId(r) === current)) return { ...s, joining: [...s.joining, current] };
  return s;
}

/**
 * A room's first history page in this run: lines after the remembered read position are unread (and
 * get the "new" rule); without one, what the join replayed counts as seen.
 */
export function settleReadPosition(state: AppState, view: View): View {
  if (view.readSeq !== undefined) return view;
  const remembered = state.pendingRead[view.id];
  if (remembered === undefined) return { ...view, readSeq: view.maxSeq };
  const unread = view.lines.filter((l): l is ChatLine => l.kind === 'chat' && !l.self && (l.seq ?? 0) > remembered).length;
  const marked: View = { ...view, readSeq: remembered, readUpTo: { order: remembered, sub: Number.MAX_SAFE_INTEGER } };
  return view.id === state.current ? marked : { ...marked, unread: view.unread + unread };
}
