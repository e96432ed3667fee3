/**
 * Read markers in the terminal client: what the server says the account read lowers the unread counts
 * (or waits for a room's first history page), what this terminal has seen is told only when logged in to
 * an account, and ReadSync sends each room's position at most once an interval and never what the server
 * already has.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ChatMessage, ServerMessage } from '../../shared/index.js';
import { ReadSync } from '../../client/net/read-sync.js';
import { initialState } from '../../client/state/app-state.js';
import { READ_REF, seenPosition } from '../../client/state/read-markers.js';
import { reduce } from '../../client/state/reducer.js';
import type { Action, AppState } from '../../client/state/types.js';

const NOW = Date.UTC(2024, 5, 1, 12, 30);

function run(state: AppState, ...actions: Action[]): AppState {
  return actions.reduce((s, action) => reduce(s, action).state, state);
}

const server = (msg: ServerMessage): Action => ({ type: 'server', msg, now: NOW });

function online(account: string | undefined, ...msgs: ServerMessage[]): AppState {
  const welcome: ServerMessage = account === undefined
    ? { type: 'welcome', sid: 's', nick: 'ada', server: 'test', version: 1 }
    : { type: 'welcome', sid: 's', nick: 'ada', server: 'test', version: 1, account };
  return run(initialState('ws://127.0.0.1:7878', 'ada'), { type: 'connection', conn: { state: 'online' }, now: NOW }, server(welcome),
    server({ type: 'joined', room: '#lobby', nick: 'ada', ts: NOW }), server({ type: 'history', room: '#lobby', messages: [], more: false }),
    ...msgs.map(server));
}

const chat = (room: string, seq: number, from = 'bob', text = `line ${seq}`): ChatMessage => ({ room, id: `${room}-${seq}`, seq, from, text, ts: NOW });
const message = (room: string, seq: number, from = 'bob', text?: string): ServerMessage => ({ type: 'message', ...chat(room, seq, from, text) });
const view = (s: AppState, id: string) => s.views.find((v) => v.id === id)!;

/** In #lobby, with #dev joined and its first page of history (seqs 1..3) read, then `live` messages arriving in #dev. */
function withDev(account: string | undefined, live: ServerMessage[]): AppState {
  return online(account,
    { type: 'joined', room: '#dev', nick: 'ada', ts: NOW },
    { type: 'history', room: '#dev', messages: [1, 2, 3].map((n) => chat('#dev', n)), more: false },
    ...live);
}

describe('read markers in the client state', () => {
  it('knows the account from welcome and from account answers', () => {
    expect(online(undefined).account).toBeUndefined();
    let s = online('Ada');
    expect(s.account).toBe('Ada');
    s = run(s, server({ type: 'account', ref: 'd' }));
    expect(s.account).toBeUndefined();
    s = run(s, server({ type: 'account', account: 'Ada', ref: 'r' }));
    expect(s.account).toBe('Ada');
  });

  it('a marker read on another terminal lowers the unread count of a room out of sight, to zero at its newest message', () => {
    let s = withDev('Ada', [message('#dev', 4), message('#dev', 5), message('#dev', 6)]);
    expect(view(s, '#dev').unread).toBe(3);
    s = run(s, server({ type: 'read', room: '#dev', seq: 4 }));
    expect(view(s, '#dev')).toMatchObject({ unread: 2, readSeq: 4, readUpTo: { order: 4 } });
    // A marker behind the one known changes nothing.
    expect(run(s, server({ type: 'read', room: '#DEV', seq: 2 }))).toBe(s);
    s = run(s, server({ type: 'read', room: '#DEV', seq: 6 }));
    expect(view(s, '#dev')).toMatchObject({ unread: 0, readSeq: 6 });
    expect(s.current).toBe('#lobby');
  });

  it('a mention stays marked until the marker passes it; own lines never counted', () => {
    let s = withDev('Ada', [message('#dev', 4, 'bob', 'ada: look'), message('#dev', 5, 'ada', 'mine'), message('#dev', 6)]);
    expect(view(s, '#dev')).toMatchObject({ unread: 2, mentioned: true });
    s = run(s, server({ type: 'read', room: '#dev', seq: 3 }));
    expect(view(s, '#dev')).toMatchObject({ unread: 2, mentioned: true });
    s = run(s, server({ type: 'read', room: '#dev', seq: 5 }));
    expect(view(s, '#dev')).toMatchObject({ unread: 1, mentioned: false });
  });

  it('a marker for a room whose history has not come yet counts from there when it comes, over the one remembered', () => {
    let s = online('Ada', { type: 'read', room: '#ops', seq: 7 });
    expect(s.pendingRead).toEqual({ '#ops': 7 });
    s = run(s, server({ type: 'read', room: '#ops', seq: 5 }));
    expect(s.pendingRead).toEqual({ '#ops': 7 });
    s = run(s, server({ type: 'joined', room: '#ops', nick: 'ada', ts: NOW }),
      server({ type: 'history', room: '#ops', messages: [5, 6, 7, 8, 9].map((n) => chat('#ops', n)), more: true }));
    expect(view(s, '#ops')).toMatchObject({ unread: 2, readSeq: 7 });
  });

  it('in the room being read, the marker moves and nothing is counted', () => {
    let s = withDev('Ada', []);
    s = run(s, { type: 'selectView', index: 2 });
    expect(s.current).toBe('#dev');
    s = run(s, server(message('#dev', 4)), server({ type: 'read', room: '#dev', seq: 4 }));
    expect(view(s, '#dev')).toMatchObject({ unread: 0, readSeq: 4 });
  });

  it('a refused read (racing a /part) is not shown; other errors still are', () => {
    const s = withDev('Ada', []);
    const quiet = run(s, server({ type: 'error', code: 'NOT_IN_ROOM', message: 'you are not in #dev', ref: READ_REF }));
    expect(quiet).toBe(s);
    const loud = run(s, server({ type: 'error', code: 'NOT_IN_ROOM', message: 'you are not in #dev' }));
    expect(loud.views.flatMap((v) => v.lines).some((l) => l.text.includes('you are not in #dev'))).toBe(true);
  });

  it('tells the server how far it has read only with an account, online, in a room at the bottom with its history', () => {
    const guest = run(withDev(undefined, [message('#dev', 4)]), { type: 'selectView', index: 2 });
    expect(seenPosition(guest)).toBeNull();
    let s = withDev('Ada', [message('#dev', 4)]);
    expect(seenPosition(s)).toBeNull(); // #lobby has no message yet
    s = run(s, { type: 'selectView', index: 2 });
    expect(seenPosition(s)).toEqual({ room: '#dev', seq: 4 });
    const scrolled = run(s, { type: 'scroll', delta: 3, maxScroll: 10 });
    expect(seenPosition(scrolled)).toBeNull();
    const offline = run(s, { type: 'connection', conn: { state: 'reconnecting', retryInMs: 1000 }, now: NOW });
    expect(seenPosition(offline)).toBeNull();
    const serverView = run(s, { type: 'selectView', index: 0 });
    expect(seenPosition(serverView)).toBeNull();
    const unsynced = run(s, server(message('#new', 1)), { type: 'selectView', index: 3 });
    expect(unsynced.current).toBe('#new');
    expect(seenPosition(unsynced)).toBeNull();
    // After a reconnect, not before the room is joined again: the new session is in no room yet.
    let again = run(s, { type: 'connection', conn: { state: 'reconnecting', retryInMs: 100 }, now: NOW }, { type: 'connection', conn: { state: 'online' }, now: NOW },
      server({ type: 'welcome', sid: 's2', nick: 'ada', server: 'test', version: 1, account: 'Ada' }));
    expect(again.current).toBe('#dev');
    expect(seenPosition(again)).toBeNull();
    again = run(again, server({ type: 'joined', room: '#dev', nick: 'ada', ts: NOW }));
    expect(seenPosition(again)).toEqual({ room: '#dev', seq: 4 });
    // Nor after leaving it.
    again = run(again, server({ type: 'left', room: '#dev', nick: 'ada' }));
    expect(again.inRooms).toEqual([]);
  });
});

describe('ReadSync', () => {
  afterEach(() => { vi.useRealTimers(); });

  function sync(online = true): { reads: ReadSync; sent: Array<[string, number]>; clock: { now: number }; net: { online: boolean } } {
    vi.useFakeTimers();
    const sent: Array<[string, number]> = [];
    const clock = { now: 1_000_000 };
    const net = { online };
    const reads = new ReadSync((room, seq) => {
      if (!net.online) return false;
      sent.push([room, seq]);
      return true;
    }, 1000, () => clock.now);
    return { reads, sent, clock, net };
  }

  function later(clock: { now: number }, ms: number): void {
    clock.now += ms;
    vi.advanceTimersByTime(ms);
  }

  it('sends the first position at once, then the newest once the interval has passed, once', () => {
    const { reads, sent, clock } = sync();
    reads.seen('#dev', 4);
    expect(sent).toEqual([['#dev', 4]]);
    for (const seq of [5, 6, 7]) reads.seen('#dev', seq);
    reads.seen('#ops', 2);
    expect(sent).toEqual([['#dev', 4], ['#ops', 2]]);
    later(clock, 999);
    expect(sent).toHaveLength(2);
    later(clock, 1);
    expect(sent).toEqual([['#dev', 4], ['#ops', 2], ['#dev', 7]]);
    later(clock, 5000);
    expect(sent).toHaveLength(3);
  });

  it('never sends what the server has, or said it has; a reconnect forgets what it had', () => {
    const { reads, sent, clock } = sync();
    reads.heard('#dev', 9);
    reads.seen('#DEV', 9);
    reads.seen('#dev', 3);
    expect(sent).toEqual([]);
    reads.seen('#dev', 10);
    reads.seen('#dev', 12);
    reads.heard('#dev', 12);
    later(clock, 1000);
    expect(sent).toEqual([['#dev', 10]]);
    reads.reset();
    later(clock, 1000);
    reads.seen('#dev', 12);
    expect(sent).toEqual([['#dev', 10], ['#dev', 12]]);
  });

  it('keeps nothing when offline: the next position seen online is sent', () => {
    const { reads, sent, net } = sync(false);
    reads.seen('#dev', 4);
    expect(sent).toEqual([]);
    net.online = true;
    reads.seen('#dev', 4);
    expect(sent).toEqual([['#dev', 4]]);
  });
});
