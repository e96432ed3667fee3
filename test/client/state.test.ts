import { describe, expect, it } from 'vitest';
import type { ChatMessage, ServerMessage } from '../../shared/index.js';
import { initialState } from '../../client/state/app-state.js';
import { reduce } from '../../client/state/reducer.js';
import type { Action, AppState, ChatLine, Effect } from '../../client/state/types.js';

const NOW = Date.UTC(2024, 0, 2, 3, 4, 5);

function run(state: AppState, ...actions: Action[]): { state: AppState; effects: Effect[] } {
  let effects: Effect[] = [];
  for (const action of actions) {
    const step = reduce(state, action);
    state = step.state;
    effects = [...effects, ...step.effects];
  }
  return { state, effects };
}

const server = (msg: ServerMessage): Action => ({ type: 'server', msg, now: NOW });
const input = (text: string): Action => ({ type: 'input', text, now: NOW });

function msg(room: string, seq: number, from: string, text: string): ChatMessage {
  return { room, id: `id${room}${seq}`, seq, from, text, ts: NOW + seq };
}

function seqs(state: AppState, viewId: string): number[] {
  const view = state.views.find((v) => v.id === viewId)!;
  return view.lines.filter((l): l is ChatLine => l.kind === 'chat').map((l) => l.seq!);
}

function joinedAs(me: string, ...rooms: string[]): AppState {
  const welcome: ServerMessage = { type: 'welcome', sid: 's', nick: me, server: 'test', version: 1 };
  return run(initialState('ws://x', me), { type: 'connection', conn: { state: 'online' }, now: NOW }, server(welcome),
    ...rooms.map((room) => server({ type: 'joined', room, nick: me, ts: NOW }))).state;
}

describe('state reducer', () => {
  it('switches to the first joined room and to rooms the user asked for, not to rejoins', () => {
    let s = joinedAs('alice', '#lobby');
    expect(s.current).toBe('#lobby');
    s = run(s, input('/join #Dev')).state;
    expect(s.joining).toEqual(['#dev']);
    s = run(s, server({ type: 'joined', room: '#Dev', nick: 'alice', ts: NOW })).state;
    expect(s.current).toBe('#dev');
    s = run(s, server({ type: 'joined', room: '#other', nick: 'alice', ts: NOW })).state;
    expect(s.current).toBe('#dev');
    expect(s.views.map((v) => v.title)).toEqual(['server', '#lobby', '#Dev', '#other']);
  });

  it('counts unread lines from others only in views the user is not looking at', () => {
    let s = joinedAs('alice', '#lobby', '#dev');
    expect(s.current).toBe('#lobby');
    s = run(s,
      server({ type: 'message', ...msg('#dev', 1, 'bob', 'hi') }),
      server({ type: 'message', ...msg('#dev', 2, 'alice', 'mine') }),
      server({ type: 'message', ...msg('#lobby', 1, 'bob', 'here') }),
    ).state;
    expect(s.views.find((v) => v.id === '#dev')!.unread).toBe(1);
    expect(s.views.find((v) => v.id === '#lobby')!.unread).toBe(0);
    expect(s.bell).toBe(0);
    s = run(s, { type: 'cycleView', delta: 1 }).state;
    expect(s.current).toBe('#dev');
    expect(s.views.find((v) => v.id === '#dev')!.unread).toBe(0);
  });

  it('marks mentions as whole words, rings the bell, and rings for any DM elsewhere', () => {
    let s = joinedAs('alice', '#lobby', '#dev');
    s = run(s, server({ type: 'message', ...msg('#dev', 1, 'bob', 'malice aforethought') })).state;
    expect(s.views.find((v) => v.id === '#dev')!.mentioned).toBe(false);
    s = run(s, server({ type: 'message', ...msg('#dev', 2, 'bob', 'ping ALICE: look') })).state;
    const dev = s.views.find((v) => v.id === '#dev')!;
    expect(dev.mentioned).toBe(true);
    expect((dev.lines.at(-1) as ChatLine).mention).toBe(true);
    expect(s.bell).toBe(1);
    s = run(s, server({ type: 'dm', id: 'd1', from: 'bob', to: 'alice', text: 'psst', ts: NOW })).state;
    expect(s.bell).toBe(2);
    expect(s.views.find((v) => v.id === '@bob')!.unread).toBe(1);
  });

  it('merges history and live messages by seq without duplicates, in order, after a reconnect', () => {
    let s = joinedAs('alice', '#lobby');
    const live = [1, 2, 3, 4, 5].map((n) => msg('#lobby', n, 'bob', `m${n}`));
    s = run(s, ...live.map((m) => server({ type: 'message', ...m }))).state;
    s = run(s, { type: 'connection', conn: { state: 'reconnecting', reason: 'closed' }, now: NOW }).state;
    // After the reconnect: the join replay holds the newest page, then the gap fill arrives, then live.
    const replay = [8, 9, 10].map((n) => msg('#lobby', n, 'bob', `m${n}`));
    const gap = [3, 4, 5, 6, 7].map((n) => msg('#lobby', n, 'bob', `m${n}`));
    s = run(s,
      server({ type: 'history', room: '#lobby', messages: replay, more: true }),
      server({ type: 'message', ...msg('#lobby', 11, 'bob', 'm11') }),
      server({ type: 'history', room: '#lobby', messages: gap, more: true }),
      server({ type: 'message', ...msg('#lobby', 10, 'bob', 'm10') }),
    ).state;
    expect(seqs(s, '#lobby')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const lobby = s.views.find((v) => v.id === '#lobby')!;
    expect(lobby.unread).toBe(0);
    // The "connection lost" notice is in the server view, not in the conversation.
    expect(lobby.lines.some((l) => /connection|reconnect/.test(l.text))).toBe(false);
    expect(s.views[0]!.lines.at(-1)!.text).toBe('connection lost: closed; reconnecting (Ctrl+C quits)');
  });

  it('drops the lines that no longer join up when a long gap was cut short, so scrolling reloads them', () => {
    let s = joinedAs('alice', '#lobby');
    s = run(s, server({ type: 'history', room: '#lobby', messages: [1, 2, 3].map((n) => msg('#lobby', n, 'bob', `m${n}`)), more: false })).state;
    s = run(s, server({ type: 'history', room: '#lobby', messages: [5000, 5001].map((n) => msg('#lobby', n, 'bob', `m${n}`)), more: true })).state;
    s = run(s, { type: 'historyCut', room: '#lobby', below: 5000 }).state;
    expect(seqs(s, '#lobby')).toEqual([5000, 5001]);
    const lobby = s.views.find((v) => v.id === '#lobby')!;
    expect([lobby.hasOlder, lobby.minSeq]).toEqual([true, 5000]);
    expect(run(s, { type: 'scroll', delta: 1, maxScroll: 0 }).effects).toEqual([
      { kind: 'send', message: { type: 'history', room: '#lobby', limit: 100, before: 5000 } },
    ]);
  });

  it('turns a say into a pending line that the ack replaces, exactly once with the broadcast', () => {
    let s = joinedAs('alice', '#lobby');
    const step = run(s, input('hello there'));
    expect(step.effects).toEqual([{ kind: 'send', message: { type: 'say', room: '#lobby', text: 'hello there', ref: 'r1' } }]);
    s = step.state;
    expect(s.views.find((v) => v.id === '#lobby')!.pending.map((p) => p.status)).toEqual(['sending']);
    s = run(s,
      server({ type: 'ack', ref: 'r1', id: 'x', seq: 7, ts: NOW }),
      server({ type: 'message', room: '#lobby', id: 'x', seq: 7, from: 'alice', text: 'hello there', ts: NOW }),
    ).state;
    const lobby = s.views.find((v) => v.id === '#lobby')!;
    expect(lobby.pending).toEqual([]);
    expect(seqs(s, '#lobby')).toEqual([7]);
  });

  it('marks queued and failed sends, and a refused send shows the server reason', () => {
    let s = joinedAs('alice', '#lobby');
    s = run(s, input('one'), input('two'), { type: 'sendState', ref: 'r1', status: 'queued' }).state;
    s = run(s, server({ type: 'error', code: 'RATE_LIMITED', message: 'slow down', ref: 'r2' })).state;
    const pending = s.views.find((v) => v.id === '#lobby')!.pending;
    expect(pending.map((p) => [p.text, p.status, p.reason])).toEqual([['one', 'queued', undefined], ['two', 'failed', 'slow down']]);
  });

  it('clears a send that failed when the connection dropped once the gap fill shows it arrived', () => {
    let s = joinedAs('alice', '#lobby');
    s = run(s, input('did this arrive'), input('this one did not'),
      { type: 'sendState', ref: 'r1', status: 'failed', reason: 'connection lost' },
      { type: 'sendState', ref: 'r2', status: 'failed', reason: 'connection lost' }).state;
    s = run(s, server({ type: 'history', room: '#lobby', messages: [msg('#lobby', 3, 'alice', 'did this arrive')], more: false })).state;
    const lobby = s.views.find((v) => v.id === '#lobby')!;
    expect(lobby.pending.map((p) => p.text)).toEqual(['this one did not']);
    expect(seqs(s, '#lobby')).toEqual([3]);
  });

  it('opens DM views with /msg, sends plain text there as dm, and closes them with /part', () => {
    let s = joinedAs('alice', '#lobby');
    let step = run(s, input('/msg bob'));
    expect(step.effects).toEqual([]);
    s = step.state;
    expect(s.current).toBe('@bob');
    step = run(s, input('hey you'));
    expect(step.effects).toEqual([{ kind: 'send', message: { type: 'dm', to: 'bob', text: 'hey you', ref: 'r1' } }]);
    s = run(step.state, server({ type: 'dm', id: 'd', from: 'alice', to: 'bob', text: 'hey you', ts: NOW, ref: 'r1' })).state;
    const dm = s.views.find((v) => v.id === '@bob')!;
    expect(dm.pending).toEqual([]);
    expect(dm.lines.map((l) => l.kind === 'chat' && l.text)).toEqual(['hey you']);
    s = run(s, input('/part')).state;
    expect(s.views.some((v) => v.id === '@bob')).toBe(false);
  });

  it('prints usage errors locally and asks for older history when scrolled past the top', () => {
    let s = joinedAs('alice', '#lobby');
    s = run(s, input('/msg')).state;
    expect(s.views.find((v) => v.id === '#lobby')!.lines.at(-1)).toMatchObject({ kind: 'error', text: 'usage: /msg nick text' });
    s = run(s, server({ type: 'history', room: '#lobby', messages: [msg('#lobby', 40, 'bob', 'x')], more: true })).state;
    const step = run(s, { type: 'scroll', delta: 5, maxScroll: 2 });
    expect(step.effects).toEqual([{ kind: 'send', message: { type: 'history', room: '#lobby', limit: 100, before: 40 } }]);
    expect(step.state.views.find((v) => v.id === '#lobby')!.scroll).toBe(2);
    // While that page is loading, scrolling again does not ask twice.
    expect(run(step.state, { type: 'scroll', delta: 5, maxScroll: 2 }).effects).toEqual([]);
    expect(run(s, input('/history 20')).effects).toEqual([{ kind: 'send', message: { type: 'history', room: '#lobby', limit: 20, before: 40 } }]);
    const done = run(step.state, server({ type: 'history', room: '#lobby', messages: [msg('#lobby', 39, 'bob', 'y')], more: false })).state;
    expect(seqs(done, '#lobby')).toEqual([39, 40]);
    expect(done.views.find((v) => v.id === '#lobby')!.hasOlder).toBe(false);
  });

  it('follows nick changes in members, DM views and its own nick', () => {
    let s = joinedAs('alice', '#lobby');
    s = run(s,
      server({ type: 'who', room: '#lobby', users: ['alice', 'bob'], total: 2 }),
      server({ type: 'dm', id: 'd', from: 'bob', to: 'alice', text: 'x', ts: NOW }),
      server({ type: 'nick', old: 'bob', new: 'robert' }),
      server({ type: 'nick', old: 'alice', new: 'al' }),
    ).state;
    expect(s.me).toBe('al');
    expect(s.views.find((v) => v.id === '#lobby')!.members).toEqual(['al', 'robert']);
    expect(s.views.find((v) => v.id === '@robert')!.title).toBe('robert');
  });

  it('asks for a new nick when the server refuses one, and registers the typed one', () => {
    let s = run(initialState('ws://x', 'alice'), { type: 'nickRejected', nick: 'alice', reason: 'alice is taken.', now: NOW }).state;
    expect(s.nickPrompt).toBe('alice');
    expect(run(s, input('9bad')).effects).toEqual([]);
    const step = run(s, input('alice2'));
    expect(step.effects).toEqual([{ kind: 'register', nick: 'alice2' }]);
    s = run(step.state, server({ type: 'welcome', sid: 's', nick: 'alice2', server: 't', version: 1 })).state;
    expect(s.nickPrompt).toBeUndefined();
  });

  it('says who kicked the user out of a room, and why; role and settings events add no line to the moderation one', () => {
    let s = joinedAs('alice', '#lobby', '#dev', '#ops');
    s = run(s, server({ type: 'left', room: '#dev', nick: 'alice', reason: 'kicked by bob: off topic', by: 'bob' })).state;
    expect(s.views.find((v) => v.id === s.current)!.lines.at(-1)!.text).toBe('you were kicked from #dev by bob (off topic)');
    s = run(s, server({ type: 'left', room: '#ops', nick: 'alice', reason: 'kicked by bob', by: 'bob' })).state;
    expect(s.views.find((v) => v.id === s.current)!.lines.at(-1)!.text).toBe('you were kicked from #ops by bob');
    const before = s.views.find((v) => v.id === '#lobby')!.lines.length;
    s = run(s,
      server({ type: 'role', room: '#lobby', nick: 'carol', role: 'op', was: 'none', by: 'bob' }),
      server({ type: 'settings', room: '#lobby', settings: { moderated: true }, changed: ['moderated'], by: 'bob' }),
    ).state;
    expect(s.views.find((v) => v.id === '#lobby')!.lines.length).toBe(before);
  });
});

describe('long and multi-line messages', () => {
  const sent = (effects: Effect[]) => effects.flatMap((e) => (e.kind === 'send' && (e.message.type === 'say' || e.message.type === 'dm') ? [e.message] : []));

  it('sends a few lines as one message at once, and asks before sending many', () => {
    const s = joinedAs('alice', '#lobby');
    const short = run(s, input('one\ntwo\nthree'));
    expect(sent(short.effects)).toEqual([{ type: 'say', room: '#lobby', text: 'one\ntwo\nthree', ref: 'r1' }]);

    const log = Array.from({ length: 80 }, (_, i) => `log line ${i}`).join('\n');
    const asked = run(s, input(log));
    expect(asked.effects).toEqual([]);
    expect(asked.state.confirm).toMatchObject({ text: log, viewId: '#lobby', parts: [log] });
    expect(asked.state.confirm!.question).toMatch(/^Send 80 lines \([\d,]+ characters\) to #lobby as one message\? y\/n$/);
    // Nothing else is taken while the question is open.
    expect(run(asked.state, input('hello')).effects).toEqual([]);

    const no = run(asked.state, { type: 'confirm', yes: false, now: NOW });
    expect(no.effects).toEqual([]);
    expect(no.state.confirm).toBeUndefined();
    const yes = run(asked.state, { type: 'confirm', yes: true, now: NOW });
    expect(sent(yes.effects)).toEqual([{ type: 'say', room: '#lobby', text: log, ref: 'r1' }]);
    expect(yes.state.views.find((v) => v.id === '#lobby')!.pending).toHaveLength(1);
  });

  it('offers to split a text over the length limit into several messages, in a room or a DM', () => {
    let s = joinedAs('alice', '#lobby');
    const long = `${'a'.repeat(3000)} ${'b'.repeat(3000)} ${'c'.repeat(3000)}`;
    const asked = run(s, input(long));
    expect(asked.state.confirm!.question).toBe('Over 4000 characters: send 1 line (9,002 characters) to #lobby as 3 messages? y/n');
    const yes = run(asked.state, { type: 'confirm', yes: true, now: NOW });
    expect(sent(yes.effects).map((m) => m.text)).toEqual(['a'.repeat(3000), 'b'.repeat(3000), 'c'.repeat(3000)]);
    expect(sent(yes.effects).map((m) => m.ref)).toEqual(['r1', 'r2', 'r3']);

    s = run(s, input('/msg bob')).state;
    const dm = run(s, input(long), { type: 'confirm', yes: true, now: NOW });
    expect(sent(dm.effects).map((m) => m.type === 'dm' && m.to)).toEqual(['bob', 'bob', 'bob']);
  });

  it('never asks for commands or in the server view', () => {
    const s = joinedAs('alice', '#lobby');
    expect(run(s, input(`/topic ${'t'.repeat(600)}`)).state.confirm).toBeUndefined();
    const server = run(s, { type: 'selectView', index: 0 }, input('a\nb\nc\nd\ne\nf')).state;
    expect(server.confirm).toBeUndefined();
  });
});

describe('commands the client answers or routes itself', () => {
  const view = (s: AppState, id: string) => s.views.find((v) => v.id === id);
  const lastText = (s: AppState, id = s.current) => view(s, id)!.lines.at(-1)?.text;

  it('/part #room in a DM view leaves that room and keeps the DM; /part alone and /close close the DM', () => {
    let s = joinedAs('alice', '#lobby', '#off');
    s = run(s, input('/msg ghost hi there')).state;
    expect(s.current).toBe('@ghost');
    const part = run(s, input('/part #off'));
    expect(part.effects).toEqual([{ kind: 'send', message: { type: 'part', room: '#off' } }]);
    expect(part.state.current).toBe('@ghost');
    expect(view(part.state, '@ghost')).toBeDefined();
    expect(view(run(s, input('/part')).state, '@ghost')).toBeUndefined();
    const closed = run(s, input('/close'));
    expect(view(closed.state, '@ghost')).toBeUndefined();
    expect(closed.effects).toEqual([]);
  });

  it('/close in a room leaves it, and refuses in the server view', () => {
    const s = joinedAs('alice', '#lobby');
    expect(run(s, input('/close')).effects).toEqual([{ kind: 'send', message: { type: 'part', room: '#lobby' } }]);
    const server = run(s, { type: 'selectView', index: 0 }, input('/close'));
    expect(server.effects).toEqual([]);
    expect(lastText(server.state)).toMatch(/server view stays open/);
  });

  it('a join of someone else still on its way after leaving a room does not bring the room back', () => {
    let s = joinedAs('alice', '#lobby', '#dev');
    s = run(s, server({ type: 'left', room: '#dev', nick: 'alice' })).state;
    expect(s.views.map((v) => v.id)).not.toContain('#dev');
    s = run(s, server({ type: 'joined', room: '#dev', nick: 'bob', ts: NOW })).state;
    expect(s.views.map((v) => v.id)).not.toContain('#dev');
    // Our own join still opens it.
    s = run(s, server({ type: 'joined', room: '#dev', nick: 'alice', ts: NOW })).state;
    expect(s.views.map((v) => v.id)).toContain('#dev');
  });

  it('/topic without text shows the topic; with text it sets it', () => {
    let s = joinedAs('alice', '#lobby', '#dev');
    s = run(s, server({ type: 'rooms', rooms: [{ name: '#dev', users: 2, topic: 'ship it' }, { name: '#lobby', users: 2, topic: '' }] })).state;
    expect(s.current).toBe('#lobby');
    let step = run(s, input('/topic'));
    expect(step.effects).toEqual([]);
    expect(lastText(step.state)).toBe('#lobby has no topic');
    step = run(s, input('/topic #dev'));
    expect(lastText(step.state)).toBe('topic of #dev: ship it');
    step = run(s, input('/topic #nowhere'));
    expect(lastText(step.state)).toMatch(/^you are not in #nowhere/);
    expect(run(s, input('/topic hello')).effects).toEqual([{ kind: 'send', message: { type: 'topic', room: '#lobby', topic: 'hello' } }]);
    expect(run(s, input('/topic #dev new one')).effects).toEqual([{ kind: 'send', message: { type: 'topic', room: '#dev', topic: 'new one' } }]);
  });

  it('/clear empties the view, and scrolling up loads what it held again', () => {
    let s = joinedAs('alice', '#lobby');
    s = run(s, server({ type: 'history', room: '#lobby', messages: [msg('#lobby', 1, 'bob', 'a'), msg('#lobby', 2, 'bob', 'b')], more: false })).state;
    const cleared = run(s, input('/clear')).state;
    expect(view(cleared, '#lobby')!.lines).toEqual([]);
    const up = run(cleared, { type: 'scroll', delta: 3, maxScroll: 0 });
    expect(up.effects).toEqual([{ kind: 'send', message: { type: 'history', room: '#lobby', limit: 100, before: 3 } }]);
  });

  it('gives usage for /join alone, and does not rename to the same nick', () => {
    const s = joinedAs('alice', '#lobby');
    const join = run(s, input('/join'));
    expect(join.effects).toEqual([]);
    expect(lastText(join.state)).toBe('usage: /join #room');
    const nick = run(s, input('/nick alice'));
    expect(nick.effects).toEqual([]);
    expect(lastText(nick.state)).toBe('you are already alice');
    expect(run(s, input('/nick Alice')).effects).toEqual([{ kind: 'send', message: { type: 'nick', nick: 'Alice' } }]);
  });

  it('shows the result of any line at the bottom, even when scrolled up', () => {
    let s = joinedAs('alice', '#lobby');
    s = run(s, { type: 'scroll', delta: 5, maxScroll: 10 }).state;
    expect(view(s, '#lobby')!.scroll).toBe(5);
    s = run(s, input('/history 500')).state;
    expect(view(s, '#lobby')!.scroll).toBe(0);
    expect(lastText(s)).toMatch(/limit/);
  });

  it('says what /history brought, or that there is nothing older', () => {
    let s = joinedAs('alice', '#lobby');
    s = run(s, server({ type: 'history', room: '#lobby', messages: [msg('#lobby', 50, 'bob', 'x')], more: true })).state;
    const asked = run(s, input('/history 20'));
    expect(asked.effects).toEqual([{ kind: 'send', message: { type: 'history', room: '#lobby', limit: 20, before: 50 } }]);
    const page = [msg('#lobby', 48, 'bob', 'y'), msg('#lobby', 49, 'bob', 'z')];
    s = run(asked.state, server({ type: 'history', room: '#lobby', messages: page, more: false })).state;
    expect(lastText(s)).toBe('loaded 2 earlier messages in #lobby: scroll up (PgUp) to read');
    // A refused /history (a room not joined) leaves nothing waiting to be reported later.
    let refused = run(s, input('/history #elsewhere'), server({ type: 'error', code: 'NOT_IN_ROOM', message: 'you are not in #elsewhere' })).state;
    refused = run(refused, server({ type: 'joined', room: '#elsewhere', nick: 'alice', ts: NOW }), server({ type: 'history', room: '#elsewhere', messages: [msg('#elsewhere', 1, 'bob', 'q')], more: false })).state;
    expect(refused.views.find((v) => v.id === '#elsewhere')!.lines.map((l) => l.text)).toEqual(['→ you joined #elsewhere', 'q']);
    const again = run(s, input('/history'));
    expect(again.effects).toEqual([]);
    expect(lastText(again.state)).toBe('nothing older in #lobby: its first message is loaded');
  });

  it('lists its own commands and the keys in /help', () => {
    const s = run(joinedAs('alice', '#lobby'), input('/help')).state;
    const text = view(s, '#lobby')!.lines.map((l) => l.text).join('\n');
    for (const want of ['/join #room', '/close', '/clear', 'Keys:', 'Alt+1..9', 'Alt+Enter', 'PgUp']) expect(text).toContain(want);
    expect(lastText(run(s, input('/help close')).state)).toBe('/close: close the current DM view (in a room: leave it)');
  });
});

describe('DM views', () => {
  const view = (s: AppState, id: string) => s.views.find((v) => v.id === id);
  const texts = (s: AppState, id: string) => view(s, id)!.lines.map((l) => l.text);

  it('take the nick as the server spells it, and say when the other person leaves or renames', () => {
    let s = joinedAs('alice', '#lobby');
    s = run(s, server({ type: 'who', room: '#lobby', users: ['alice', 'dave'], total: 2 }), input('/msg DAVE hello')).state;
    expect(view(s, '@dave')!.title).toBe('DAVE');
    s = run(s, server({ type: 'dm', id: 'd1', from: 'alice', to: 'dave', text: 'hello', ts: NOW, ref: 'r1' })).state;
    expect(view(s, '@dave')!.title).toBe('dave');
    s = run(s, server({ type: 'nick', old: 'dave', new: 'david' })).state;
    expect(texts(s, '@david').at(-1)).toBe('dave is now known as david');
    s = run(s, server({ type: 'left', room: '#lobby', nick: 'david', reason: 'quit' })).state;
    expect(texts(s, '@david').at(-1)).toBe('← david left #lobby (quit)');
  });

  it('close when the other person does not exist, and say so', () => {
    let s = joinedAs('alice', '#lobby');
    s = run(s, input('/msg ghost boo')).state;
    expect(s.current).toBe('@ghost');
    s = run(s, server({ type: 'error', code: 'NO_SUCH_USER', message: 'no user is called ghost', ref: 'r1' })).state;
    expect(view(s, '@ghost')).toBeUndefined();
    expect(s.views.find((v) => v.id === s.current)!.lines.at(-1)!.text).toBe('no user is called ghost: nothing sent (Up brings the line back)');
  });

  it('announce your own nick change once in the view you read', () => {
    let s = joinedAs('alice', '#lobby');
    s = run(s, server({ type: 'who', room: '#lobby', users: ['alice', 'bob'], total: 2 }), server({ type: 'nick', old: 'alice', new: 'al' })).state;
    expect(texts(s, '#lobby').filter((t) => t.includes('now known as'))).toEqual(['you are now known as al']);
  });
});

describe('the connection, as the user is told about it', () => {
  const conn = (state: 'connecting' | 'registering' | 'online' | 'reconnecting', at: number, reason?: string): Action =>
    ({ type: 'connection', conn: { state, ...(reason ? { reason, retryInMs: 1000 } : {}) }, now: at });
  const serverLines = (s: AppState) => s.views[0]!.lines.map((l) => l.text);

  it('says once that it could not connect, with the reason in words, however often it retries', () => {
    let s = initialState('ws://127.0.0.1:17999', 'alice');
    for (let i = 0; i < 6; i++) s = run(s, conn('connecting', NOW + i), conn('reconnecting', NOW + i, 'connect ECONNREFUSED 127.0.0.1:17999')).state;
    expect(serverLines(s)).toEqual([
      'could not connect to ws://127.0.0.1:17999: connection refused: nothing is listening there (connect ECONNREFUSED 127.0.0.1:17999); retrying (Ctrl+C quits)',
    ]);
    expect(s.conn).toMatchObject({ state: 'reconnecting', reason: 'connect ECONNREFUSED 127.0.0.1:17999' });
    // Getting through at last is not a "reconnect".
    s = run(s, conn('registering', NOW + 10), conn('online', NOW + 11)).state;
    expect(serverLines(s)).toHaveLength(1);
  });

  it('puts one line per outage in the server view, never in the conversation, and how long it lasted', () => {
    let s = joinedAs('alice', '#lobby');
    for (let i = 0; i < 4; i++) s = run(s, conn('reconnecting', NOW + i * 1000, 'closed (1006)'), conn('connecting', NOW + i * 1000 + 500)).state;
    s = run(s, conn('registering', NOW + 12_000), conn('online', NOW + 12_400)).state;
    s = run(s, conn('reconnecting', NOW + 20_000, 'server: flood'), conn('online', NOW + 21_000)).state;
    expect(serverLines(s).slice(-4)).toEqual([
      'connection lost: closed (1006); reconnecting (Ctrl+C quits)',
      'reconnected after 12 s',
      'connection lost: server: flood; reconnecting (Ctrl+C quits)',
      'reconnected after 1 s',
    ]);
    expect(s.views.find((v) => v.id === '#lobby')!.lines.some((l) => /connection|reconnect/.test(l.text))).toBe(false);
  });

  it('shows lag while a ping waits, until the next round trip', () => {
    let s = joinedAs('alice', '#lobby');
    s = run(s, { type: 'rtt', ms: 4 }, { type: 'lag', ms: 6200 }).state;
    expect([s.rttMs, s.lagMs]).toEqual([4, 6200]);
    s = run(s, { type: 'rtt', ms: 5 }).state;
    expect(s.lagMs).toBeUndefined();
  });

  it('says that a command typed while offline waits for the connection', () => {
    let s = joinedAs('alice', '#lobby');
    s = run(s, conn('reconnecting', NOW, 'closed')).state;
    const join = run(s, input('/join #later'));
    expect(join.effects).toEqual([{ kind: 'send', message: { type: 'join', room: '#later' } }]);
    expect(join.state.views.find((v) => v.id === '#lobby')!.lines.at(-1)!.text).toBe('not connected: this is sent once the connection is back');
  });
});

describe('the first screen', () => {
  it('shows the message of the day, a hint and "you joined" where the user lands, and not again on reconnect', () => {
    const welcome: ServerMessage = { type: 'welcome', sid: 's', nick: 'alice', server: 'demo', version: 1, motd: 'Welcome to the demo\nBe kind' };
    const joined: ServerMessage = { type: 'joined', room: '#lobby', nick: 'alice', ts: NOW };
    let s = run(initialState('ws://x', 'alice'), { type: 'connection', conn: { state: 'online' }, now: NOW }, server(welcome), server(joined)).state;
    const lobby = () => s.views.find((v) => v.id === '#lobby')!.lines.map((l) => l.text);
    expect(s.current).toBe('#lobby');
    expect(lobby()).toEqual(['→ you joined #lobby', 'Welcome to the demo', 'Be kind', expect.stringMatching(/^Type \/help for commands and keys/)]);
    s = run(s, server(welcome), server(joined), server({ type: 'joined', room: '#big', nick: 'alice', ts: NOW })).state;
    expect(lobby()).toHaveLength(4);
    expect(s.views.find((v) => v.id === '#big')!.lines.map((l) => l.text)).toEqual(['→ you joined #big']);
  });
});
