/**
 * Away in the terminal client: /away and /back through the shared command table, who is away kept from
 * member lists, joins and away events (and moved by renames, dropped when out of sight), the DM note,
 * /whois, and the marks the renderer draws in the member list and the status line.
 */
import { describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../shared/index.js';
import { initialState } from '../../client/state/app-state.js';
import { reduce } from '../../client/state/reducer.js';
import type { Action, AppState, Effect } from '../../client/state/types.js';
import { frameText } from '../../client/ui/frame.js';
import { InputLine } from '../../client/ui/input-line.js';
import { renderFrame } from '../../client/ui/render.js';
import { themeFor } from '../../client/ui/theme.js';

const NOW = Date.UTC(2024, 5, 1, 12, 30);

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

function online(...msgs: ServerMessage[]): AppState {
  return run(initialState('ws://127.0.0.1:7878', 'alice'), { type: 'connection', conn: { state: 'online' }, now: NOW },
    server({ type: 'welcome', sid: 's', nick: 'alice', server: 'test', version: 1 }),
    server({ type: 'joined', room: '#lobby', nick: 'alice', ts: NOW }), ...msgs.map(server)).state;
}

const lines = (s: AppState, id = s.current) => s.views.find((v) => v.id === id)!.lines.map((l) => `${l.kind}: ${l.text}`);

describe('away in the client state', () => {
  it('/away reason and /away, /back send away; the answer for us says so and marks us', () => {
    let s = online();
    expect(run(s, input('/away out for lunch')).effects).toEqual([{ kind: 'send', message: { type: 'away', reason: 'out for lunch' } }]);
    expect(run(s, input('/away')).effects).toEqual([{ kind: 'send', message: { type: 'away' } }]);
    expect(run(s, input('/back')).effects).toEqual([{ kind: 'send', message: { type: 'away' } }]);
    s = run(s, server({ type: 'away', nick: 'alice', reason: 'out for lunch', ref: 'x' })).state;
    expect(s.away).toEqual({ alice: 'out for lunch' });
    expect(lines(s).at(-1)).toBe('info: you are away: out for lunch');
    s = run(s, server({ type: 'away', nick: 'ALICE' })).state;
    expect(s.away).toEqual({});
    expect(lines(s).at(-1)).toBe('info: you are back');
  });

  it("keeps others' away from who lists, joins and away events, without a line for each", () => {
    let s = online({ type: 'who', room: '#lobby', users: ['alice', 'bob', 'carol'], total: 3, away: ['bob'] });
    expect(s.away).toEqual({ bob: '' });
    const before = lines(s).length;
    s = run(s, server({ type: 'away', nick: 'Carol', reason: 'zzz' })).state;
    expect(s.away).toEqual({ bob: '', carol: 'zzz' });
    expect(lines(s)).toHaveLength(before);
    // A who that no longer lists someone as away clears them; one that does keeps a known reason.
    s = run(s, server({ type: 'who', room: '#lobby', users: ['alice', 'bob', 'carol'], total: 3, away: ['carol'] })).state;
    expect(s.away).toEqual({ carol: 'zzz' });
    s = run(s, server({ type: 'joined', room: '#lobby', nick: 'dave', ts: NOW, away: 'afk' })).state;
    expect(s.away).toEqual({ carol: 'zzz', dave: 'afk' });
    // A rename moves the mark; leaving every room we share drops it.
    s = run(s, server({ type: 'nick', old: 'carol', new: 'Caro' })).state;
    expect(s.away).toEqual({ caro: 'zzz', dave: 'afk' });
    s = run(s, server({ type: 'left', room: '#lobby', nick: 'dave' })).state;
    expect(s.away).toEqual({ caro: 'zzz' });
    // A joiner who is not away is not marked, even if someone of that nick was.
    s = run(s, server({ type: 'joined', room: '#lobby', nick: 'dave', ts: NOW })).state;
    expect(s.away).toEqual({ caro: 'zzz' });
    // A new session starts with nothing known.
    s = run(s, server({ type: 'welcome', sid: 't', nick: 'alice', server: 'test', version: 1 })).state;
    expect(s.away).toEqual({});
  });

  it('a nick like an Object method is a nick like any other', () => {
    let s = online({ type: 'who', room: '#lobby', users: ['alice', 'constructor', 'toString'], total: 3 });
    expect(s.away).toEqual({});
    s = run(s, server({ type: 'nick', old: 'constructor', new: 'builder' })).state;
    expect(s.away).toEqual({});
    const rows = frameText(renderFrame(s, new InputLine(), 100, 20, themeFor({})).frame);
    expect(rows.some((r) => r.includes('toString (away)'))).toBe(false);
  });

  it('a DM to someone away says so in the DM view, under the first line sent while away for that reason', () => {
    let s = online();
    s = run(s, input('/msg bob are you there?')).state;
    const dm = (text: string, away?: string): ServerMessage => ({ type: 'dm', id: text, from: 'alice', to: 'bob', text, ts: NOW, ref: text, ...(away ? { away } : {}) });
    s = run(s, server(dm('are you there?', 'on a plane')), server(dm('hello?', 'on a plane'))).state;
    expect(lines(s, '@bob')).toEqual(['chat: are you there?', 'info: bob is away: on a plane', 'chat: hello?']);
    expect(s.away).toEqual({ bob: 'on a plane' });
    s = run(s, server(dm('landed?', 'taxiing')), server(dm('back?'))).state;
    expect(lines(s, '@bob')).toEqual(['chat: are you there?', 'info: bob is away: on a plane', 'chat: hello?', 'chat: landed?', 'info: bob is away: taxiing', 'chat: back?']);
    // A DM from bob carries nothing of the kind.
    s = run(s, server({ type: 'dm', id: 'b', from: 'bob', to: 'alice', text: 'here', ts: NOW })).state;
    expect(lines(s, '@bob').at(-1)).toBe('chat: here');
  });

  it('/whois asks; its answer and stats are shown where the user is', () => {
    let s = online();
    expect(run(s, input('/whois Bob')).effects).toEqual([{ kind: 'send', message: { type: 'whois', nick: 'Bob' } }]);
    expect(lines(run(s, input('/whois')).state).at(-1)).toBe('error: usage: /whois nick');
    s = run(s, server({ type: 'whois', nick: 'Bob', account: 'Bob', away: 'gone' })).state;
    expect(lines(s).at(-1)).toBe('info: Bob: logged in as Bob, away: gone');
    expect(s.away).toEqual({ bob: 'gone' });
    s = run(s, server({ type: 'whois', nick: 'Bob' })).state;
    expect(lines(s).at(-1)).toBe('info: Bob: a guest');
    expect(s.away).toEqual({});
    s = run(s, server({ type: 'stats', users: 1, rooms: 2, servers: 3, localUsers: 1, maxLocalUsers: 1, operators: 0 })).state;
    expect(lines(s).at(-1)).toBe('info: 1 user in 2 rooms on 3 servers');
  });
});

describe('away in the frame', () => {
  const theme = themeFor({});

  it('dims and marks away members, and marks us in the status line', () => {
    let s = online({ type: 'who', room: '#lobby', users: ['alice', 'bob', 'carol'], total: 3, away: ['bob'] });
    let rows = frameText(renderFrame(s, new InputLine(), 100, 20, theme).frame);
    expect(rows.some((r) => /│bob \(away\)\s*$/.test(r))).toBe(true);
    expect(rows.some((r) => /│carol\s*$/.test(r))).toBe(true);
    expect(rows[18]).toMatch(/│ alice │/);
    s = run(s, server({ type: 'away', nick: 'alice', reason: 'brb' })).state;
    rows = frameText(renderFrame(s, new InputLine(), 100, 20, theme).frame);
    expect(rows[18]).toMatch(/│ alice \(away\) │/);
    expect(rows.some((r) => /│alice \(away\)\s*$/.test(r))).toBe(true);
  });

  it('shows the mark without colour too', () => {
    const s = online({ type: 'who', room: '#lobby', users: ['alice', 'bob'], total: 2, away: ['bob'] });
    const rows = frameText(renderFrame(s, new InputLine(), 100, 20, themeFor({ NO_COLOR: '1' })).frame);
    expect(rows.some((r) => /│bob \(away\)\s*$/.test(r))).toBe(true);
  });
});
