/**
 * Commands the terminal client answers itself, before the shared command table (which the server's text
 * mode uses too): views (/close, /clear), showing what the client already knows (/topic without text), and
 * usage for a missing argument.
 */
import { normalizeRoom } from '../../shared/index.js';
import { currentView, findView, infoLines, removeView, selectView, withView } from './app-state.js';
import { searchOlder } from './search.js';
import type { AppState, Step } from './types.js';
import { roomViewId } from './views.js';

const TOPIC_ONLY = /^\/topic(?:\s+(\S+))?\s*$/i;

function note(state: AppState, text: string, now: number, kind: 'info' | 'error' = 'info'): Step {
  return { state: infoLines(state, text, now, kind), effects: [] };
}

/** Empties a view; a room's older lines can be loaded again by scrolling up. */
function cleared(state: AppState): AppState {
  return withView(state, state.current, (v) => ({
    ...v, lines: [], scroll: 0, newBelow: 0, readUpTo: undefined, loadingOlder: false,
    pending: v.pending.filter((p) => p.status !== 'failed'),
    ...(v.kind === 'room' && v.maxSeq > 0 ? { hasOlder: true, minSeq: v.maxSeq + 1 } : {}),
  }));
}

function showTopic(state: AppState, arg: string | undefined, now: number): Step {
  const view = currentView(state);
  const room = arg === undefined ? (view.kind === 'room' ? view.title : undefined) : normalizeRoom(arg);
  if (room === undefined) return note(state, 'usage: /topic [#room] [text] (in a room, /topic alone shows its topic)', now, 'error');
  if (room === null) return note(state, `not a room name: ${arg}`, now, 'error');
  const target = findView(state, roomViewId(room));
  if (!target) return note(state, `you are not in ${room}: /rooms lists every room with its topic`, now, 'error');
  return note(state, target.topic ? `topic of ${target.title}: ${target.topic}` : `${target.title} has no topic`, now);
}

export function localCommand(state: AppState, text: string, now: number): Step | undefined {
  const match = /^\/(\S+)\s*(.*)$/s.exec(text.trimEnd());
  if (!match || text.startsWith('//')) return undefined;
  const name = match[1]!.toLowerCase();
  const rest = match[2]!;
  const view = currentView(state);
  switch (name) {
    case 'close':
      if (view.kind === 'dm') return { state: removeView(state, view.id), effects: [] };
      if (view.kind === 'room') return { state, effects: [{ kind: 'send', message: { type: 'part', room: view.title } }] };
      return note(state, 'the server view stays open (/quit leaves the chat)', now, 'error');
    case 'clear':
      return { state: cleared(state), effects: [] };
    case 'win':
    case 'go': {
      const n = Number(rest);
      const target = Number.isInteger(n) ? state.views[n - 1] : undefined;
      if (!target) return note(state, `usage: /win N, with N from 1 to ${state.views.length}`, now, 'error');
      return { state: selectView(state, target.id), effects: [] };
    }
    case 'part':
    case 'leave':
      // In a DM view, /part alone closes it; /part #room still leaves that room.
      if (view.kind === 'dm' && !rest.startsWith('#')) return { state: removeView(state, view.id), effects: [] };
      return undefined;
    case 'topic': {
      const only = TOPIC_ONLY.exec(text.trimEnd());
      // "/topic word" in a room sets the topic to that word; only a #room alone asks to see it.
      if (!only || (only[1] !== undefined && !only[1].startsWith('#'))) return undefined;
      return showTopic(state, only[1], now);
    }
    case 'search':
      return rest === '' ? searchOlder(state, now) : undefined;
    case 'join':
    case 'j':
      return rest === '' ? note(state, 'usage: /join #room', now, 'error') : undefined;
    case 'nick':
      if (rest === state.me) return note(state, `you are already ${state.me}`, now);
      return undefined;
    default:
      return undefined;
  }
}
