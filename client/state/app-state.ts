/** The initial state and small pure helpers the reducers share. */
import { caseFold } from '../../shared/index.js';
import type { AppState, View, ViewKind } from './types.js';
import { addNote, mentionsNick, newView, SERVER_VIEW_ID, type Perspective } from './views.js';

export function initialState(server: string, nick: string, highlights: string[] = []): AppState {
  return {
    me: nick, server, conn: { state: 'connecting' }, everOnline: false, highlights, pendingRead: {}, away: {}, inRooms: [],
    views: [newView(SERVER_VIEW_ID, 'server', 'server')], current: SERVER_VIEW_ID,
    nextRef: 1, bell: 0, joining: [], whoWanted: [], roomsWanted: false, historyWanted: [], knownRooms: [],
  };
}

export function findView(state: AppState, id: string): View | undefined {
  return state.views.find((v) => v.id === id);
}

export function currentView(state: AppState): View {
  return findView(state, state.current) ?? state.views[0]!;
}

export function withView(state: AppState, id: string, update: (view: View) => View): AppState {
  const views = state.views.map((v) => (v.id === id ? update(v) : v));
  return { ...state, views };
}

/** The view with `id`, created when missing: a room after the other rooms, a DM after everything. */
export function ensureView(state: AppState, id: string, kind: ViewKind, title: string): AppState {
  if (findView(state, id)) return state;
  const firstDm = state.views.findIndex((v) => v.kind === 'dm');
  const at = kind === 'dm' || firstDm < 0 ? state.views.length : firstDm;
  return { ...state, views: [...state.views.slice(0, at), newView(id, kind, title), ...state.views.slice(at)] };
}

export function removeView(state: AppState, id: string): AppState {
  const index = state.views.findIndex((v) => v.id === id);
  if (index < 0 || id === state.views[0]?.id) return state;
  const views = state.views.filter((v) => v.id !== id);
  const current = state.current === id ? (views[Math.min(index, views.length - 1)] ?? views[0]!).id : state.current;
  return { ...state, views, current };
}

/** Makes `id` current and clears its unread count and mention mark. */
export function selectView(state: AppState, id: string): AppState {
  if (!findView(state, id)) return state;
  let s = state;
  if (state.current !== id) {
    s = withView(s, state.current, (v) => {
      const newest = v.lines.at(-1);
      const seen = v.kind === 'room' ? { ...v, readSeq: Math.max(v.readSeq ?? 0, v.maxSeq) } : v;
      return newest ? { ...seen, readUpTo: { order: newest.order, sub: newest.sub } } : seen;
    });
  }
  // The "new" rule marks unread messages only: coming back to a view with none clears it.
  return withView({ ...s, current: id }, id, (v) => ({ ...v, unread: 0, mentioned: false, readUpTo: v.unread > 0 ? v.readUpTo : undefined }));
}

export function noteIn(state: AppState, id: string, kind: 'event' | 'info' | 'error', text: string, ts: number): AppState {
  return withView(state, id, (v) => addNote(v, kind, text, ts));
}

/** Several lines of info (help, /rooms output) in the current view. */
export function infoLines(state: AppState, text: string, ts: number, kind: 'info' | 'error' = 'info'): AppState {
  return text.split('\n').reduce((s, line) => noteIn(s, s.current, kind, line, ts), state);
}

export function perspective(state: AppState): Perspective {
  return { me: state.me, mentions: (text) => mentionsNick(text, state.me) || state.highlights.some((w) => mentionsNick(text, w)) };
}

export function isMe(state: AppState, nick: string): boolean {
  return caseFold(nick) === caseFold(state.me);
}
