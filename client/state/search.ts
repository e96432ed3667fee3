/**
 * /search: asking the server, and showing its answer where the search was asked: a line that says what
 * was found, the messages (with their room and day), and how to see older ones (`/search` alone).
 */
import type { SearchEvt, SearchMsg } from '../../shared/index.js';
import { findView, noteIn } from './app-state.js';
import type { AppState, Step } from './types.js';
import { addFound } from './views.js';

export function askSearch(state: AppState, message: SearchMsg): Step {
  const ref = `s${state.nextRef}`;
  const search = { ref, viewId: state.current, room: message.room, query: message.query };
  return { state: { ...state, nextRef: state.nextRef + 1, search }, effects: [{ kind: 'send', message: { ...message, ref } }] };
}

/** `/search` alone: the next older page of the last search, if it had one. */
export function searchOlder(state: AppState, now: number): Step | undefined {
  const last = state.search;
  if (!last) return undefined;
  if (last.next === undefined) {
    return { state: noteIn(state, state.current, 'info', `no older messages in ${last.room} match "${last.query}"`, now), effects: [] };
  }
  return askSearch(state, { type: 'search', room: last.room, query: last.query, before: last.next });
}

export function onSearch(state: AppState, found: SearchEvt, now: number): AppState {
  const asked = state.search !== undefined && found.ref !== undefined && state.search.ref === found.ref ? state.search : undefined;
  const viewId = asked && findView(state, asked.viewId) ? asked.viewId : state.current;
  const oldest = found.messages[0];
  const next = found.more && oldest ? oldest.seq : undefined;
  let s: AppState = asked ? { ...state, search: { ...asked, next } } : state;
  const where = `in ${found.room}`;
  if (!oldest) return noteIn(s, viewId, 'info', `no message ${where} matches "${found.query}"`, now);
  const n = found.messages.length;
  s = noteIn(s, viewId, 'info', `${n} message${n === 1 ? '' : 's'} ${where} match${n === 1 ? 'es' : ''} "${found.query}":`, now);
  s = found.messages.reduce((acc, m) => ({ ...acc, views: acc.views.map((v) => (v.id === viewId ? addFound(v, m) : v)) }), s);
  return noteIn(s, viewId, 'info', next === undefined ? 'no older matches' : 'older matches: type /search', now);
}
