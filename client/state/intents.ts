/** What the user's input line, keys and wheel do to the state, and what must be sent. */
import {
  codePointLength, isValidNick, parseInput, TEXT_MAX, validateClientMessage, type ClientMessage,
} from '../../shared/index.js';
import { splitMessage } from '../text/split.js';
import { localCommand } from './local-commands.js';
import { askSearch } from './search.js';
import { clientHelp } from '../help.js';
import { currentView, ensureView, findView, infoLines, selectView, withView } from './app-state.js';
import type { AppState, Effect, Step } from './types.js';
import { dmViewId, roomViewId } from './views.js';

/** How many older messages one scroll past the top asks for. */
export const OLDER_PAGE = 100;

const OPEN_DM = /^\/(?:msg|query|m)\s+(\S+)\s*$/i;

/** A message of more lines than this, or longer than one message may be, is sent only after the user says y. */
export const CONFIRM_LINES = 5;

function sendTracked(state: AppState, viewId: string, message: ClientMessage, now: number): Step {
  if (message.type !== 'say' && message.type !== 'dm') return { state, effects: [{ kind: 'send', message }] };
  const ref = `r${state.nextRef}`;
  const pending = { ref, text: message.text, ts: now, status: 'sending' as const, ...(message.action ? { action: true } : {}) };
  const s = withView({ ...state, nextRef: state.nextRef + 1 }, viewId, (v) => ({ ...v, scroll: 0, newBelow: 0, pending: [...v.pending, pending] }));
  return { state: s, effects: [{ kind: 'send', message: { ...message, ref } }] };
}

function chooseNick(state: AppState, text: string, now: number): Step {
  const nick = text.trim();
  if (!isValidNick(nick)) {
    return { state: infoLines(state, `"${nick}" is not a valid nick: a letter, then up to 23 letters, digits or _-[]\\^{}|`, now, 'error'), effects: [] };
  }
  return { state: { ...state, me: nick }, effects: [{ kind: 'register', nick }] };
}

function inDirectView(state: AppState, text: string, now: number): Step | undefined {
  const view = currentView(state);
  if (view.kind !== 'dm') return undefined;
  const me = /^\/me\s+(.+)$/is.exec(text);
  if (me) return sendTracked(state, view.id, { type: 'dm', to: view.title, text: me[1]!, action: true }, now);
  if (text.startsWith('/') && !text.startsWith('//')) return undefined;
  const body = text.startsWith('//') ? text.slice(1) : text;
  if (body.trim() === '') return { state, effects: [] };
  return sendTracked(state, view.id, { type: 'dm', to: view.title, text: body }, now);
}

function openDirect(state: AppState, nick: string): AppState {
  return selectView(ensureView(state, dmViewId(nick), 'dm', nick), dmViewId(nick));
}

/** The text a line would send as a message, or undefined for a /command. */
function plainText(text: string): string | undefined {
  if (text.startsWith('//')) return text.slice(1);
  return text.startsWith('/') ? undefined : text;
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;
}

/** A long paste or message is not sent at once: the input line asks first. */
function askBeforeSending(state: AppState, text: string): Step | undefined {
  const view = currentView(state);
  const body = plainText(text);
  if (view.kind === 'server' || body === undefined || body.trim() === '') return undefined;
  const lines = body.split('\n').length;
  const length = codePointLength(body);
  if (length <= TEXT_MAX && lines <= CONFIRM_LINES) return undefined;
  const parts = length <= TEXT_MAX ? [body] : splitMessage(body);
  const size = `${plural(lines, 'line')} (${plural(length, 'character')})`;
  const question = parts.length === 1
    ? `Send ${size} to ${view.title} as one message? y/n`
    : `Over ${TEXT_MAX} characters: send ${size} to ${view.title} as ${parts.length} messages? y/n`;
  return { state: { ...state, confirm: { text, viewId: view.id, parts, question } }, effects: [] };
}

/** The answer to askBeforeSending's question: y sends every part (paced by the network layer), n sends nothing. */
export function applyConfirm(state: AppState, yes: boolean, now: number): Step {
  const pending = state.confirm;
  if (!pending) return { state, effects: [] };
  let s: AppState = { ...state, confirm: undefined };
  if (!yes) return { state: s, effects: [] };
  const view = findView(s, pending.viewId);
  if (!view) return { state: infoLines(s, 'that view was closed: nothing sent', now, 'error'), effects: [] };
  const effects: Effect[] = [];
  for (const text of pending.parts) {
    const candidate: ClientMessage = view.kind === 'dm' ? { type: 'dm', to: view.title, text } : { type: 'say', room: view.title, text };
    const checked = validateClientMessage(candidate);
    if (!checked.ok) return { state: infoLines(s, checked.error.message, now, 'error'), effects };
    const step = sendTracked(s, view.id, checked.value, now);
    s = step.state;
    effects.push(...step.effects);
  }
  return { state: s, effects };
}

export function applyInput(typedIn: AppState, text: string, now: number): Step {
  const step = applyLine(typedIn, text, now);
  // Messages show [queued: offline]; a command sent while offline says so too, or it would seem ignored.
  const waits = step.effects.some((e) => e.kind === 'send' && e.message.type !== 'say' && e.message.type !== 'dm');
  if (!waits || typedIn.conn.state === 'online') return step;
  return { ...step, state: infoLines(step.state, 'not connected: this is sent once the connection is back', now) };
}

function applyLine(typedIn: AppState, text: string, now: number): Step {
  if (typedIn.nickPrompt !== undefined) return chooseNick(typedIn, text, now);
  if (typedIn.confirm) return { state: typedIn, effects: [] };
  // Whatever the line does, its result shows at the bottom: a reader scrolled up sees the answer.
  const state = currentView(typedIn).scroll > 0 ? withView(typedIn, typedIn.current, (v) => ({ ...v, scroll: 0, newBelow: 0 })) : typedIn;
  const local = localCommand(state, text, now);
  if (local) return local;
  const ask = askBeforeSending(state, text);
  if (ask) return ask;
  const direct = inDirectView(state, text, now);
  if (direct) return direct;
  const open = OPEN_DM.exec(text);
  if (open && isValidNick(open[1]!)) return { state: openDirect(state, open[1]!), effects: [] };
  const view = currentView(state);
  const outcome = parseInput(text, view.kind === 'room' ? { room: view.title } : {});
  if (outcome.kind === 'help') return { state: infoLines(state, clientHelp(/^\/help\s+(\S+)/i.exec(text)?.[1]), now), effects: [] };
  if (outcome.kind === 'error') return { state: infoLines(state, outcome.message, now, 'error'), effects: [] };
  const message = outcome.message;
  switch (message.type) {
    case 'quit': return { state, effects: [{ kind: 'quit', reason: message.reason }] };
    case 'dm': return sendTracked(openDirect(state, message.to), dmViewId(message.to), message, now);
    case 'say': return sendTracked(state, roomViewId(message.room), message, now);
    case 'join': {
      const id = roomViewId(message.room);
      if (findView(state, id)) return { state: selectView(state, id), effects: [] };
      return { state: { ...state, joining: [...state.joining, id] }, effects: [{ kind: 'send', message }] };
    }
    case 'who': return { state: { ...state, whoWanted: [...state.whoWanted, roomViewId(message.room)] }, effects: [{ kind: 'send', message }] };
    case 'rooms': return { state: { ...state, roomsWanted: true }, effects: [{ kind: 'send', message }] };
    case 'search': return askSearch(state, message);
    case 'history': {
      // "Earlier messages": older than what the view already holds, not the newest page again.
      const target = findView(state, roomViewId(message.room));
      if (target && !target.hasOlder && Number.isFinite(target.minSeq) && message.before === undefined) {
        return { state: infoLines(state, `nothing older in ${target.title}: its first message is loaded`, now), effects: [] };
      }
      const wanted = { ...state, historyWanted: [...state.historyWanted, roomViewId(message.room)] };
      if (!target || !Number.isFinite(target.minSeq) || message.before !== undefined) return { state: wanted, effects: [{ kind: 'send', message }] };
      return {
        state: withView(wanted, target.id, (v) => ({ ...v, loadingOlder: true })),
        effects: [{ kind: 'send', message: { ...message, before: target.minSeq } }],
      };
    }
    default: return { state, effects: [{ kind: 'send', message }] };
  }
}

/**
 * Scrolls the current view by `delta` rows (positive = up). Trying to scroll past the oldest loaded
 * line asks the server for an older page.
 */
export function applyScroll(state: AppState, delta: number, maxScroll: number): Step {
  const view = currentView(state);
  const wanted = view.scroll + delta;
  const scroll = Math.max(0, Math.min(wanted, maxScroll));
  let s = scroll === view.scroll ? state : withView(state, view.id, (v) => ({ ...v, scroll, newBelow: scroll === 0 ? 0 : v.newBelow }));
  const effects: Effect[] = [];
  if (delta > 0 && wanted > maxScroll && view.kind === 'room' && view.hasOlder && !view.loadingOlder) {
    const before = Number.isFinite(view.minSeq) ? { before: view.minSeq } : {};
    effects.push({ kind: 'send', message: { type: 'history', room: view.title, limit: OLDER_PAGE, ...before } });
    s = withView(s, view.id, (v) => ({ ...v, loadingOlder: true }));
  }
  return { state: s, effects };
}

export function cycleView(state: AppState, delta: number): AppState {
  const n = state.views.length;
  const at = state.views.findIndex((v) => v.id === state.current);
  const next = state.views[(((at + delta) % n) + n) % n]!;
  return selectView(state, next.id);
}
