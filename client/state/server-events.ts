/** How each server message changes the state. Pure: (state, message) -> state. */
import { caseFold, ErrorCode, type ServerMessage } from '../../shared/index.js';
import { kickWords } from '../../shared/kick-reason.js';
import {
  currentView, ensureView, findView, infoLines, isMe, noteIn, perspective, removeView, selectView, withView,
} from './app-state.js';
import { applyReadMarker, READ_REF } from './read-markers.js';
import { settleReadPosition } from './remember.js';
import { onSearch } from './search.js';
import type { AppState, ChatLine, View } from './types.js';
import { addDirectMessage, dmViewId, mergeRoomMessages, roomViewId, SERVER_VIEW_ID } from './views.js';

type Msg<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

const FIRST_HINT = 'Type /help for commands and keys; Alt+1..9 or Ctrl+N/P switch views, PgUp scrolls back.';

/**
 * Live lines from others: in a view the user is not looking at, unread counts and the mention mark; the
 * bell for a mention anywhere (the terminal may be in another window, as irssi and weechat assume) and for
 * any DM in another view.
 */
function noticeArrivals(state: AppState, viewId: string, added: ChatLine[], ringForAny: boolean): AppState {
  const fromOthers = added.filter((l) => !l.self);
  if (fromOthers.length === 0) return state;
  const mentioned = fromOthers.some((l) => l.mention);
  if (viewId === state.current) {
    // Read from above: the status line counts what arrived below.
    const counted = currentScrolled(state) ? withView(state, viewId, (v) => ({ ...v, newBelow: v.newBelow + fromOthers.length })) : state;
    return mentioned ? { ...counted, bell: counted.bell + 1 } : counted;
  }
  const next = withView(state, viewId, (v) => ({
    ...v, unread: v.unread + fromOthers.length, mentioned: v.mentioned || mentioned,
  }));
  return mentioned || ringForAny ? { ...next, bell: next.bell + 1 } : next;
}

function currentScrolled(state: AppState): boolean {
  return (state.views.find((v) => v.id === state.current)?.scroll ?? 0) > 0;
}

/** A failed or unconfirmed send that shows up as a real message was delivered after all. */
function settleEchoes(view: View, added: ChatLine[]): View {
  const mine = added.filter((l) => l.self);
  if (mine.length === 0 || view.pending.length === 0) return view;
  const pending = view.pending.filter((p) => p.status !== 'failed' || !mine.some((l) => l.text === p.text));
  return pending.length === view.pending.length ? view : { ...view, pending };
}

function onMessage(state: AppState, m: Msg<'message'>): AppState {
  const id = roomViewId(m.room);
  let s = ensureView(state, id, 'room', m.room);
  let added: ChatLine[] = [];
  s = withView(s, id, (v) => {
    const r = mergeRoomMessages(v, [m], perspective(s));
    added = r.added;
    return settleEchoes(r.view, added);
  });
  return noticeArrivals(s, id, added, false);
}

function onAck(state: AppState, a: Msg<'ack'>): AppState {
  const view = state.views.find((v) => v.pending.some((p) => p.ref === a.ref));
  if (!view) return state;
  const p = view.pending.find((x) => x.ref === a.ref)!;
  return withView(state, view.id, (v) => {
    const rest = { ...v, pending: v.pending.filter((x) => x.ref !== a.ref) };
    const message = { room: v.title, id: a.id, seq: a.seq, from: state.me, text: p.text, ts: a.ts, action: p.action };
    return mergeRoomMessages(rest, [message], perspective(state)).view;
  });
}

/** Why `nick` is away ('' when not known), or undefined when it is not. */
function awayOf(state: AppState, nick: string): string | undefined {
  const key = caseFold(nick);
  return Object.hasOwn(state.away, key) ? state.away[key] : undefined;
}

/** Who is away now: `reason` (or '' when not known), or nobody's business any more (undefined). */
function markAway(state: AppState, nick: string, reason: string | undefined): AppState {
  const key = caseFold(nick);
  if (reason === undefined) {
    if (!Object.hasOwn(state.away, key)) return state;
    const { [key]: _gone, ...away } = state.away;
    return { ...state, away };
  }
  return awayOf(state, nick) === reason ? state : { ...state, away: { ...state.away, [key]: reason } };
}

function onAway(state: AppState, a: Msg<'away'>, now: number): AppState {
  const s = markAway(state, a.nick, a.reason);
  if (!isMe(state, a.nick)) return s;
  return noteIn(s, currentView(s).id, 'info', a.reason === undefined ? 'you are back' : `you are away: ${a.reason}`, now);
}

function onDirect(state: AppState, d: Msg<'dm'>): AppState {
  const fromMe = isMe(state, d.from);
  const other = fromMe ? d.to : d.from;
  const id = dmViewId(other);
  let s = ensureView(state, id, 'dm', other);
  let added: ChatLine[] = [];
  s = withView(s, id, (v) => {
    // The server spells the nick as its owner does: `/msg DAVE` opened a view the answer renames to dave.
    const r = addDirectMessage({ ...v, title: other }, d, perspective(s));
    added = r.added;
    const pending = d.ref && fromMe ? r.view.pending.filter((p) => p.ref !== d.ref) : r.view.pending;
    return { ...r.view, pending };
  });
  if (fromMe && d.away !== undefined) {
    s = markAway(s, other, d.away);
    // Said under the first line sent while away for that reason, not under every one.
    const said = `${other} is away: ${d.away}`;
    const lastNote = findView(s, id)!.lines.findLast((l) => l.kind === 'info');
    if (lastNote?.text !== said) s = noteIn(s, id, 'info', said, d.ts);
  }
  return noticeArrivals(s, id, added, true);
}

function onJoined(state: AppState, j: Msg<'joined'>, now: number): AppState {
  const id = roomViewId(j.room);
  const isNew = !findView(state, id);
  // Someone else's join still on its way when we left the room: the room stays closed.
  if (isNew && !isMe(state, j.nick)) return state;
  let s = ensureView(state, id, 'room', j.room);
  s = withView(s, id, (v) => ({
    ...v,
    title: isMe(s, j.nick) ? j.room : v.title,
    members: v.members.some((n) => caseFold(n) === caseFold(j.nick)) ? v.members : [...v.members, j.nick].sort(byName),
  }));
  if (!isMe(s, j.nick)) return noteIn(markAway(s, j.nick, j.away), id, 'event', `→ ${j.nick} joined ${j.room}`, j.ts);
  const landing = s.current === SERVER_VIEW_ID;
  const wanted = s.joining.includes(id) || landing;
  s = { ...s, joining: s.joining.filter((r) => r !== id), inRooms: s.inRooms.includes(id) ? s.inRooms : [...s.inRooms, id] };
  // A rejoin after a reconnect says nothing; a first join says so, and the first room also gets the
  // message of the day and a hint, where the user lands instead of in the server view.
  if (isNew) s = noteIn(s, id, 'event', `→ you joined ${j.room}`, j.ts);
  if (landing && s.greeting) {
    const lines = s.greeting;
    s = lines.reduce((acc: AppState, line) => noteIn(acc, id, 'info', line, now), { ...s, greeting: undefined });
  }
  return wanted ? selectView(s, id) : s;
}

function onLeft(state: AppState, l: Msg<'left'>, now: number): AppState {
  const id = roomViewId(l.room);
  if (!findView(state, id)) return state;
  if (isMe(state, l.nick)) {
    const s = { ...removeView(state, id), inRooms: state.inRooms.filter((r) => r !== id) };
    if (l.by === undefined) return noteIn(s, s.current, 'info', `you left ${l.room}`, now);
    const words = kickWords(l.reason, l.by);
    return noteIn(s, s.current, 'info', `you were kicked from ${l.room} by ${l.by}${words ? ` (${words})` : ''}`, now);
  }
  let s = withView(state, id, (v) => ({ ...v, members: v.members.filter((n) => caseFold(n) !== caseFold(l.nick)) }));
  const said = `← ${l.nick} left ${l.room}${l.reason ? ` (${l.reason})` : ''}`;
  s = noteIn(s, id, 'event', said, now);
  // The DM view says so when the other person is in no room with us any more (quit, or parted the last one).
  const dm = findView(s, dmViewId(l.nick));
  const stillSeen = s.views.some((v) => v.kind === 'room' && v.members.some((n) => caseFold(n) === caseFold(l.nick)));
  // Out of sight, its away mark would only go stale.
  if (!stillSeen) s = markAway(s, l.nick, undefined);
  return dm && !stillSeen ? noteIn(s, dm.id, 'event', said, now) : s;
}

function onNick(state: AppState, n: Msg<'nick'>, now: number): AppState {
  const old = caseFold(n.old);
  const wasMe = isMe(state, n.old);
  let s: AppState = wasMe ? { ...state, me: n.new } : state;
  const away = awayOf(s, n.old);
  if (away !== undefined) s = markAway(markAway(s, n.old, undefined), n.new, away);
  const said = wasMe ? `you are now known as ${n.new}` : `${n.old} is now known as ${n.new}`;
  let toldHere = false;
  for (const v of s.views) {
    if (!v.members.some((m) => caseFold(m) === old)) continue;
    s = withView(s, v.id, (x) => ({ ...x, members: x.members.map((m) => (caseFold(m) === old ? n.new : m)).sort(byName) }));
    s = noteIn(s, v.id, 'event', said, now);
    toldHere ||= v.id === s.current;
  }
  const dm = findView(s, dmViewId(n.old));
  if (dm && (!findView(s, dmViewId(n.new)) || dmViewId(n.new) === dm.id)) {
    const renamed = dmViewId(n.new);
    s = { ...s, views: s.views.map((v) => (v === dm ? { ...v, id: renamed, title: n.new } : v)) };
    if (s.current === dm.id) s = { ...s, current: renamed };
    s = noteIn(s, renamed, 'event', said, now);
    toldHere ||= s.current === renamed;
  }
  // Once in the view being read: not a room line and an info line both.
  return wasMe && !toldHere ? noteIn(s, s.current, 'info', said, now) : s;
}

function onHistory(state: AppState, h: Msg<'history'>, now: number): AppState {
  const id = roomViewId(h.room);
  const s = ensureView(state, id, 'room', h.room);
  const before = findView(s, id)!.lines.length;
  const merged = withView(s, id, (v) => {
    const oldestBefore = v.minSeq;
    const result = mergeRoomMessages(v, h.messages, perspective(s));
    const merged = settleEchoes(result.view, result.added);
    const oldestHere = h.messages[0]?.seq ?? 0;
    // Only a page that reaches our oldest line says whether anything older exists.
    const reachesBottom = h.messages.length === 0 || oldestHere <= oldestBefore;
    return settleReadPosition(s, { ...merged, loadingOlder: false, synced: true, hasOlder: reachesBottom ? h.more : merged.hasOlder });
  });
  if (!merged.historyWanted.includes(id)) return merged;
  // The answer to /history: the lines go above, out of sight, so say what came.
  const added = findView(merged, id)!.lines.length - before;
  const done = { ...merged, historyWanted: merged.historyWanted.filter((r) => r !== id) };
  const text = added > 0 ? `loaded ${added} earlier message${added === 1 ? '' : 's'} in ${h.room}: scroll up (PgUp) to read` : `nothing older in ${h.room}`;
  return noteIn(done, id, 'info', text, now);
}

function onWho(state: AppState, w: Msg<'who'>, now: number): AppState {
  const id = roomViewId(w.room);
  const unlistedMembers = Math.max(0, w.total - w.users.length);
  let s = findView(state, id) ? withView(state, id, (v) => ({ ...v, members: [...w.users].sort(byName), unlistedMembers, topic: w.topic ?? v.topic })) : state;
  const away = new Set((w.away ?? []).map(caseFold));
  for (const nick of w.users) s = markAway(s, nick, away.has(caseFold(nick)) ? (awayOf(s, nick) ?? '') : undefined);
  if (s.whoWanted.includes(id)) {
    s = { ...s, whoWanted: s.whoWanted.filter((r) => r !== id) };
    s = infoLines(s, `${w.room}: ${w.users.join(' ')} (${w.total})`, now);
  }
  return s;
}

function onRooms(state: AppState, r: Msg<'rooms'>, now: number): AppState {
  const topics = new Map(r.rooms.map((x) => [roomViewId(x.name), x.topic]));
  const views = state.views.map((v) => (topics.has(v.id) && topics.get(v.id) !== v.topic ? { ...v, topic: topics.get(v.id)! } : v));
  const s = { ...state, views, knownRooms: r.rooms.map((x) => x.name) };
  if (!s.roomsWanted) return s;
  const rows = r.rooms.map((x) => `${x.name.padEnd(20)} ${String(x.users).padStart(4)}  ${x.topic}`);
  return infoLines({ ...s, roomsWanted: false }, ['Rooms:', ...rows].join('\n'), now);
}

function onError(state: AppState, e: Msg<'error'>, now: number): AppState {
  if (e.ref === READ_REF) return state;
  const owner = e.ref ? state.views.find((v) => v.pending.some((p) => p.ref === e.ref)) : undefined;
  if (owner?.kind === 'dm' && e.code === ErrorCode.NO_SUCH_USER && !owner.lines.some((l) => l.kind === 'chat')) {
    // A DM view opened for someone who is not here holds nothing worth keeping.
    const s = removeView(state, owner.id);
    return noteIn(s, s.current, 'error', `${e.message}: nothing sent (Up brings the line back)`, now);
  }
  if (owner) {
    return withView(state, owner.id, (v) => ({
      ...v,
      pending: v.pending.map((p) => (p.ref === e.ref ? { ...p, status: 'failed' as const, reason: e.message } : p)),
    }));
  }
  // An error without a ref may answer a history request: nothing is loading any more.
  const s = { ...state, historyWanted: [], views: state.views.map((v) => (v.loadingOlder ? { ...v, loadingOlder: false } : v)) };
  return noteIn(s, s.current, 'error', `${e.code}: ${e.message}`, now);
}

export function applyServer(state: AppState, msg: ServerMessage, now: number): AppState {
  switch (msg.type) {
    case 'welcome': {
      const first = !state.everWelcomed;
      const greeting = [...(msg.motd ? msg.motd.split('\n') : []), ...(first ? [FIRST_HINT] : [])];
      // A new session: nobody's away mark from the last one holds (the member lists bring them again).
      const s: AppState = {
        ...state, me: msg.nick, nickPrompt: undefined, everWelcomed: true, greeting: first ? greeting : undefined, away: {}, account: msg.account,
        inRooms: [],
      };
      const as = msg.account ? `${msg.nick} (logged in)` : msg.nick;
      const text = [`connected to ${msg.server} as ${as}`, ...greeting];
      return text.reduce((acc, line) => noteIn(acc, SERVER_VIEW_ID, 'info', line, now), s);
    }
    case 'joined': return onJoined(state, msg, now);
    case 'left': return onLeft(state, msg, now);
    case 'message': return onMessage(state, msg);
    case 'ack': return onAck(state, msg);
    case 'dm': return onDirect(state, msg);
    case 'nick': return onNick(state, msg, now);
    case 'topic': {
      const id = roomViewId(msg.room);
      if (!findView(state, id)) return state;
      const s = withView(state, id, (v) => ({ ...v, topic: msg.topic }));
      return noteIn(s, id, 'event', `${msg.by} set the topic: ${msg.topic}`, msg.ts);
    }
    case 'history': return onHistory(state, msg, now);
    case 'search': return onSearch(state, msg, now);
    case 'who': return onWho(state, msg, now);
    case 'rooms': return onRooms(state, msg, now);
    case 'pong': return state;
    case 'located': return state;
    case 'error': return onError(state, msg, now);
    case 'bye': return noteIn(state, currentView(state).id, 'info', `server says goodbye: ${msg.reason}`, now);
    case 'account':
      return noteIn({ ...state, account: msg.account }, currentView(state).id, 'info', msg.account ? `logged in as ${msg.account}` : 'not logged in (a guest)', now);
    case 'read': return applyReadMarker(state, msg.room, msg.seq);
    case 'notice': return noteIn(state, currentView(state).id, 'info', msg.text, now);
    case 'bans': {
      const where = msg.room ?? 'the server';
      const rows = msg.bans.length === 0 ? [`no bans in ${where}`] : msg.bans.map((b) =>
        `${where}: ${b.mask} by ${b.by}${b.reason ? `: ${b.reason}` : ''}${b.expires ? ` (until ${new Date(b.expires).toISOString()})` : ''}`);
      return rows.reduce((acc, line) => noteIn(acc, currentView(acc).id, 'info', line, now), state);
    }
    case 'moderation': {
      const id = roomViewId(msg.room);
      if (!findView(state, id)) return state;
      return noteIn(state, id, 'event', `${msg.by}: ${msg.action} ${msg.detail}${msg.reason ? ` (${msg.reason})` : ''}`, msg.ts);
    }
    // The moderation line that comes with them says it already.
    case 'role': case 'settings': return state;
    case 'invited': return noteIn(state, currentView(state).id, 'info', `${msg.by} invites you to ${msg.room}: /join ${msg.room}`, now);
    case 'away': return onAway(state, msg, now);
    // Others' accounts are not shown (whois tells them).
    case 'login': return state;
    case 'whois': {
      const who = `${msg.nick}: ${msg.account !== undefined ? `logged in as ${msg.account}` : 'a guest'}${msg.away !== undefined ? `, away: ${msg.away}` : ''}`;
      return noteIn(markAway(state, msg.nick, msg.away), currentView(state).id, 'info', who, now);
    }
    case 'stats':
      return noteIn(state, currentView(state).id, 'info',
        `${msg.users} user${msg.users === 1 ? '' : 's'} in ${msg.rooms} room${msg.rooms === 1 ? '' : 's'} on ${msg.servers} server${msg.servers === 1 ? '' : 's'}`, now);
  }
}

function byName(a: string, b: string): number {
  return caseFold(a) < caseFold(b) ? -1 : caseFold(a) > caseFold(b) ? 1 : 0;
}
