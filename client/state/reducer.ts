/** The one entry point that turns an action into the next state and the effects to run. */
import { infoLines, noteIn, selectView, withView } from './app-state.js';
import { applyConfirm, applyInput, applyScroll, cycleView } from './intents.js';
import { applyServer } from './server-events.js';
import type { Action, AppState, ConnectionInfo, Step } from './types.js';
import { cutBelow, roomViewId } from './views.js';

function describeConnection(prev: ConnectionInfo, next: ConnectionInfo): string | undefined {
  if (next.state === 'reconnecting' && prev.state !== 'reconnecting') {
    return `connection lost${next.reason ? ` (${next.reason})` : ''}; reconnecting`;
  }
  if (next.state === 'online' && prev.state === 'registering' && prev.reason) return 'reconnected';
  return undefined;
}

export function reduce(state: AppState, action: Action): Step {
  switch (action.type) {
    case 'server': return { state: applyServer(state, action.msg, action.now), effects: [] };
    case 'connection': {
      // Keep the last drop reason through the retry, so "reconnected" can be told apart from a first connect.
      const reason = action.conn.reason ?? (action.conn.state === 'online' ? undefined : state.conn.reason);
      const conn: ConnectionInfo = reason === undefined ? { ...action.conn } : { ...action.conn, reason };
      if (conn.retryInMs !== undefined) conn.retryAt = action.now + conn.retryInMs;
      const text = describeConnection(state.conn, conn);
      const s = { ...state, conn };
      return { state: text ? noteIn(s, s.current, 'info', text, action.now) : s, effects: [] };
    }
    case 'rtt': return { state: { ...state, rttMs: action.ms }, effects: [] };
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
    case 'note': return { state: infoLines(state, action.text, action.now, action.kind), effects: [] };
    case 'selectView': {
      const view = state.views[action.index];
      return { state: view ? selectView(state, view.id) : state, effects: [] };
    }
    case 'cycleView': return { state: cycleView(state, action.delta), effects: [] };
    case 'scroll': return applyScroll(state, action.delta, action.maxScroll);
  }
}
