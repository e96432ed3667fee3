/**
 * /search in the terminal client: what it sends, where the answer is shown (the view it was asked in,
 * with each message's room, day, time and nick), and `/search` alone for older matches. Reducer and
 * renderer, pure.
 */
import { describe, expect, it } from 'vitest';
import type { ChatMessage, ServerMessage } from '../../shared/index.js';
import { initialState } from '../../client/state/app-state.js';
import { reduce } from '../../client/state/reducer.js';
import type { Action, AppState, Effect, Line, View } from '../../client/state/types.js';
import { frameText } from '../../client/ui/frame.js';
import { InputLine } from '../../client/ui/input-line.js';
import { CONTINUATION, dayClock } from '../../client/ui/message-rows.js';
import { renderFrame } from '../../client/ui/render.js';
import { themeFor } from '../../client/ui/theme.js';

const NOW = Date.UTC(2024, 5, 1, 12, 30);
const OLD = Date.UTC(2023, 10, 5, 8, 15);

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

function joinedAs(me: string, ...rooms: string[]): AppState {
  return run(initialState('ws://x', me), { type: 'connection', conn: { state: 'online' }, now: NOW },
    server({ type: 'welcome', sid: 's', nick: me, server: 'test', version: 1 }),
    ...rooms.map((room) => server({ type: 'joined', room, nick: me, ts: NOW }))).state;
}

const found = (room: string, seq: number, from: string, text: string, action = false): ChatMessage =>
  ({ room, id: `${room}${seq}`, seq, from, text, ts: OLD + seq, ...(action ? { action: true } : {}) });

const view = (s: AppState, id: string): View => s.views.find((v) => v.id === id)!;
/** The view's lines after the joins, as text: found lines as "room <from> text". */
function shown(v: View): string[] {
  return v.lines.filter((l) => l.kind !== 'event').map((l: Line) => (l.kind === 'found' ? `${l.room} <${l.from}> ${l.text}` : `${l.kind}: ${'text' in l ? l.text : ''}`));
}

function sent(effects: Effect[]): unknown[] {
  return effects.filter((e) => e.kind === 'send').map((e) => (e as { message: unknown }).message);
}

describe('/search in the client', () => {
  it('asks the server with a ref, and shows the answer with room, day and nick where it was asked', () => {
    let s = joinedAs('alice', '#lobby', '#dev');
    expect(s.current).toBe('#lobby');
    const asked = run(s, input('/search #dev deploy failed'));
    expect(sent(asked.effects)).toEqual([{ type: 'search', room: '#dev', query: 'deploy failed', ref: expect.stringMatching(/^s\d+$/) }]);
    const ref = (sent(asked.effects)[0] as { ref: string }).ref;
    s = asked.state;
    // The user moves on before the answer comes: it still lands in #lobby, where it was asked.
    s = run(s, { type: 'cycleView', delta: 1 }).state;
    expect(s.current).toBe('#dev');
    s = run(s, server({ type: 'search', room: '#dev', query: 'deploy failed', more: true, ref,
      messages: [found('#Dev', 40, 'bob', 'the deploy failed'), found('#Dev', 52, 'carol', 'failed to deploy again', true)] })).state;
    expect(shown(view(s, '#lobby')).slice(-4)).toEqual([
      'info: 2 messages in #dev match "deploy failed":',
      '#Dev <bob> the deploy failed',
      '#Dev <carol> failed to deploy again',
      'info: older matches: type /search',
    ]);
    expect(view(s, '#lobby').lines.find((l) => l.kind === 'found')).toMatchObject({ ts: OLD + 40 });
    expect(shown(view(s, '#dev'))).toEqual([]);
    // Found messages are not the room's own lines: no unread count, no seqs taken.
    expect(view(s, '#lobby').unread).toBe(0);
    expect(view(s, '#dev')).toMatchObject({ minSeq: Infinity, maxSeq: 0 });
  });

  it('pages to older matches with /search alone until there are none', () => {
    let s = joinedAs('alice', '#lobby');
    expect(run(s, input('/search')).state.views.find((v) => v.id === '#lobby')!.lines.at(-1)).toMatchObject({ kind: 'error', text: 'usage: /search [#room] words' });
    let step = run(s, input('/search Deploy'));
    const first = sent(step.effects)[0] as { ref: string };
    expect(first).toMatchObject({ type: 'search', room: '#lobby', query: 'Deploy' });
    s = run(step.state, server({ type: 'search', room: '#lobby', query: 'Deploy', more: true, ref: first.ref, messages: [found('#lobby', 7, 'bob', 'deploy 7'), found('#lobby', 9, 'bob', 'deploy 9')] })).state;
    step = run(s, input('/search'));
    const second = sent(step.effects)[0] as { ref: string };
    expect(second).toEqual({ type: 'search', room: '#lobby', query: 'Deploy', before: 7, ref: expect.any(String) });
    expect(second.ref).not.toBe(first.ref);
    s = run(step.state, server({ type: 'search', room: '#lobby', query: 'Deploy', more: false, ref: second.ref, messages: [found('#lobby', 2, 'bob', 'deploy 2')] })).state;
    expect(shown(view(s, '#lobby')).slice(-3)).toEqual(['info: 1 message in #lobby matches "Deploy":', '#lobby <bob> deploy 2', 'info: no older matches']);
    step = run(s, input('/search'));
    expect(sent(step.effects)).toEqual([]);
    expect(shown(view(step.state, '#lobby')).at(-1)).toBe('info: no older messages in #lobby match "Deploy"');
  });

  it('says when nothing matches, shows a refusal as an error, and ignores an older search\'s cursor', () => {
    let s = joinedAs('alice', '#lobby');
    let step = run(s, input('/search nothing'));
    const ref = (sent(step.effects)[0] as { ref: string }).ref;
    s = run(step.state, server({ type: 'search', room: '#lobby', query: 'nothing', messages: [], more: false, ref })).state;
    expect(shown(view(s, '#lobby')).at(-1)).toBe('info: no message in #lobby matches "nothing"');
    step = run(s, input('/search anything'));
    const refused = (sent(step.effects)[0] as { ref: string }).ref;
    s = run(step.state, server({ type: 'error', code: 'UNSUPPORTED', message: 'search needs the single-node server (SQLite): this server runs as part of a cluster', ref: refused })).state;
    expect(view(s, '#lobby').lines.at(-1)).toMatchObject({ kind: 'error', text: 'UNSUPPORTED: search needs the single-node server (SQLite): this server runs as part of a cluster' });
    // A late answer to a search the user has since replaced is shown, but /search alone follows the newest.
    step = run(s, input('/search newer'));
    s = run(step.state, server({ type: 'search', room: '#lobby', query: 'late', more: true, ref: 'stale', messages: [found('#lobby', 5, 'bob', 'late 5')] })).state;
    expect(shown(view(s, '#lobby')).at(-1)).toBe('info: older matches: type /search');
    expect(sent(run(s, input('/search')).effects)).toEqual([]);
    expect(s.search?.query).toBe('newer');
    expect(s.search?.next).toBeUndefined();
  });

  it('refuses a query with no word before sending anything', () => {
    const step = run(joinedAs('alice', '#lobby'), input('/search * -'));
    expect(sent(step.effects)).toEqual([]);
    expect(view(step.state, '#lobby').lines.at(-1)).toMatchObject({ kind: 'error', text: 'query must hold at least one word (letters or digits)' });
  });
});

describe('rendering found messages', () => {
  const theme = themeFor({});

  it('shows each with its day and time, its room and its nick, and wraps long ones under the text', () => {
    let s = joinedAs('alice', '#lobby');
    const ref = (sent(run(s, input('/search #dev release')).effects)[0] as { ref: string }).ref;
    s = run(s, input('/search #dev release'), server({ type: 'search', room: '#dev', query: 'release', more: false, ref, messages: [
      found('#dev', 3, 'bob', 'release notes are out'),
      found('#dev', 4, 'carol', 'waves at the release', true),
      found('#dev', 5, 'dave', `release ${'word '.repeat(30)}end`),
    ] })).state;
    const rows = frameText(renderFrame(s, new InputLine(), 100, 30, theme).frame).join('\n');
    expect(dayClock(OLD + 3)).toMatch(/^2023-11-0\d \d\d:\d\d$/);
    expect(rows).toContain(`${dayClock(OLD + 3)} #dev <bob> release notes are out`);
    expect(rows).toContain(`${dayClock(OLD + 4)} #dev * carol waves at the release`);
    expect(rows).toContain(`${dayClock(OLD + 5)} #dev <dave> release word`);
    expect(rows).toContain(`${CONTINUATION}word`);
    expect(rows).toMatch(/-!- 3 messages in #dev match "release":/);
  });
});
