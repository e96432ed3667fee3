/**
 * Read markers shared by the terminals of one account (docs/client.md): what this terminal has seen, to
 * tell the server, and what the server says another terminal read, which lowers the unread counts here.
 */
import { findView, withView } from './app-state.js';
import type { AppState, Line, View } from './types.js';
import { roomViewId } from './views.js';

/**
 * The ref of every `read` this client sends: a refusal of one (a `read` racing a /part, markers the
 * server cannot load now) is background noise, not an error to show; the next position tries again.
 */
export const READ_REF = 'read-marker';

/**
 * How far this terminal has read, to tell the server: the room shown, scrolled to the bottom, once its
 * history has come, up to its newest message. Nothing while not logged in to an account (markers then
 * stay in this client), offline, or before a reconnect has joined the room again (the server would
 * answer NOT_IN_ROOM).
 */
export function seenPosition(state: AppState): { room: string; seq: number } | null {
  if (state.account === undefined || state.conn.state !== 'online' || !state.inRooms.includes(state.current)) return null;
  const view = findView(state, state.current);
  if (!view || view.kind !== 'room' || view.scroll > 0 || !view.synced || view.maxSeq === 0) return null;
  return { room: view.title, seq: view.maxSeq };
}

/**
 * The account has read `room` up to `seq` (on another terminal, or this one as the server confirms): the
 * messages up to there are read here too. A room whose first history page has not come keeps it for then.
 */
export function applyReadMarker(state: AppState, room: string, seq: number): AppState {
  const id = roomViewId(room);
  const view = findView(state, id);
  if (view?.readSeq === undefined) {
    if ((state.pendingRead[id] ?? 0) >= seq) return state;
    return { ...state, pendingRead: { ...state.pendingRead, [id]: seq } };
  }
  if (seq <= view.readSeq) return state;
  return withView(state, id, (v) => readUpTo(v, seq, id === state.current));
}

const fromOthers = (l: Line): l is Line & { kind: 'chat'; seq: number } => l.kind === 'chat' && !l.self && l.seq !== undefined;

function readUpTo(view: View, seq: number, current: boolean): View {
  const was = view.readSeq ?? 0;
  const newlyRead = view.lines.filter((l) => fromOthers(l) && l.seq > was && l.seq <= seq).length;
  const unread = seq >= view.maxSeq ? 0 : Math.max(0, view.unread - newlyRead);
  const mentioned = view.mentioned && view.lines.some((l) => fromOthers(l) && l.mention && l.seq > seq);
  // The `new` rule of a view out of sight moves down to where the account has read.
  const rule = current || (view.readUpTo && view.readUpTo.order >= seq) ? view.readUpTo : { order: seq, sub: Number.MAX_SAFE_INTEGER };
  return { ...view, readSeq: seq, unread, mentioned, readUpTo: rule };
}
