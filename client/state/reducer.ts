/** The one entry point that turns an action into the next state and the effects to run. */
import { infoLines, noteIn, selectView, withView } from './app-state.js';
import { applyConfirm, applyInput, applyScroll, cycleView } from './intents.js';
import { restore } from './remember.js';
import { applyServer } from './server-events.js';
import type { Action, AppState, ConnectionInfo, Step } from './types.js';
import { outageNote, seconds } from './connection-notes.js';
import { cutBelow, roomViewId, SERVER_VIEW_ID } from './views.js';

/** Connection changes: the state for the status line, and one line in the server view per outage. */
function onConnection(state: AppState, next: ConnectionInfo, now: number): AppState {
  // Keep the last drop reason through the retry: the status line shows why it is still offline.
  const reason = next.reason ?? (next.state === 'online' ? undefined : state.conn.reason);
  const conn: ConnectionInfo = reason === undefined ? { ...next } : { ...next, reason };
  if (conn.retryInMs !== undefined) conn.retryAt = now + conn.retryInMs;
  // A connection lost takes its session's rooms with it: the next one joins them again.
  const s: AppState = conn.state === 'online' ? { ...state, conn } : { ...state, conn, inRooms: [] };
  if (conn.state === 'online') {
    const back = state.outage && state.everOnline ? `reconnected after ${seconds(now - state.outage.since)}` : undefined;
    const online: AppState = { ...s, outage: undefined, everOnline: true, lagMs: undefined };
    return back ? noteIn(online, SERVER_VIEW_ID, 'info', back, now) : online;
  }
  if (conn.state !== 'reconnecting' || state.outage) return s;
  return noteIn({ ...s, outage: { since: now } }, SERVER_VIEW_ID, 'info', outageNote(state.server, state.everOnline, reason), now);
}

export function reduce(state: AppState, action: Action): Step {
  switch (action.type) {
    case 'server': return { state: applyServer(state, action.msg, action.now), effects: [] };
    case 'connection': return { state: onConnection(state, action.conn, action.now), effects: [] };
    case 'rtt': return { state: { ...state, rttMs: action.ms, lagMs: undefined }, effects: [] };
    case 'lag': return { state: { ...state, lagMs: action.ms }, effects: [] };
    case 'sendState': {
      const owner = state.views.find((v) => v.pending.some((p) => p.ref === action.ref));
      if (!owner) return { state, effects: [] };
      return {
        state: withView(state, owner.id, (v) => ({
          ...v,
          pending: v.pending.map((p) => (p.ref === action.ref ? { ...p, status: action.status, reason: action.reason } : p)),
        })),
        effects: [],
      };
    }
    case 'nickRejected': {
      const s = infoLines({ ...state, nickPrompt: action.nick }, `${action.reason} Type another nick and press Enter.`, action.now, 'error');
      return { state: s, effects: [] };
    }
    case 'historyCut': return { state: withView(state, roomViewId(action.room), (v) => cutBelow(v, action.below)), effects: [] };
    case 'input': return applyInput(state, action.text, action.now);
    case 'confirm': return applyConfirm(state, action.yes, action.now);
    case 'restore': return { state: restore(state, action.memory), effects: [] };
    case 'note': return { state: infoLines(state, action.text, action.now, action.kind), effects: [] };
    case 'selectView': {
      const view = state.views[action.index];
      return { state: view ? selectView(state, view.id) : state, effects: [] };
    }
    case 'cycleView': return { state: cycleView(state, action.delta), effects: [] };
    case 'scroll': return applyScroll(state, action.delta, action.maxScroll);
  }
}
