import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../shared/index.js';
import { ChatLog, logLine } from '../../client/persist/chat-log.js';
import { EMPTY_MEMORY, loadMemory, MemoryKeeper, memoryFile } from '../../client/persist/memory.js';
import { configFile, logDir, stateDir } from '../../client/persist/paths.js';
import { initialState } from '../../client/state/app-state.js';
import { reduce } from '../../client/state/reducer.js';
import { rememberedFrom } from '../../client/state/remember.js';
import type { Action, AppState } from '../../client/state/types.js';
import { makeTempDir, removeDir } from '../helpers/server.js';
import { waitFor } from './helpers.js';

const NOW = Date.UTC(2024, 4, 1, 12, 0);
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => removeDir(d)));
function tempDir(): string {
  const d = makeTempDir('chat-persist-');
  dirs.push(d);
  return d;
}

function run(state: AppState, ...actions: Action[]): AppState {
  return actions.reduce((s, a) => reduce(s, a).state, state);
}
const server = (msg: ServerMessage): Action => ({ type: 'server', msg, now: NOW });
const say = (room: string, seq: number, from: string, text: string): ServerMessage => ({ type: 'message', room, id: `${room}${seq}`, seq, from, text, ts: NOW });
const page = (room: string, seqs: number[], from = 'bob'): ServerMessage =>
  ({ type: 'history', room, messages: seqs.map((seq) => ({ room, id: `${room}${seq}`, seq, from, text: `m${seq}`, ts: NOW })), more: false });

function online(me: string, highlights: string[] = []): AppState {
  return run(initialState('ws://x', me, highlights), { type: 'connection', conn: { state: 'online' }, now: NOW },
    server({ type: 'welcome', sid: 's', nick: me, server: 't', version: 1 }));
}

describe('where files go', () => {
  it('follows XDG, with the home folder as fallback and relative paths ignored', () => {
    expect(configFile({ XDG_CONFIG_HOME: '/x/cfg', HOME: '/h' })).toBe('/x/cfg/chat/config.json');
    expect(configFile({ XDG_CONFIG_HOME: 'relative', HOME: '/h' })).toBe('/h/.config/chat/config.json');
    expect(stateDir({ HOME: '/h' })).toBe('/h/.local/state/chat');
    expect(logDir({ XDG_DATA_HOME: '/d' })).toBe('/d/chat/logs');
    expect(memoryFile({ HOME: '/h' }, 'ws://127.0.0.1:7878', 'alice')).toBe('/h/.local/state/chat/127.0.0.1_7878@alice.json');
  });
});

describe('remembering a session', () => {
  it('keeps rooms, DMs, the current view, input history and read positions, and restores them', () => {
    let s = online('alice');
    s = run(s,
      server({ type: 'joined', room: '#lobby', nick: 'alice', ts: NOW }), server(page('#lobby', [1, 2])),
      server({ type: 'joined', room: '#dev', nick: 'alice', ts: NOW }), server(page('#dev', [1, 2, 3])),
      server({ type: 'dm', id: 'd', from: 'bob', to: 'alice', text: 'hi', ts: NOW }),
      { type: 'selectView', index: 2 }, { type: 'selectView', index: 1 },
      server(say('#dev', 4, 'bob', 'unseen')),
    );
    const memory = rememberedFrom(s, ['first', 'second']);
    expect(memory).toEqual({ rooms: ['#lobby', '#dev'], dms: ['bob'], current: '#lobby', history: ['first', 'second'], read: { '#lobby': 2, '#dev': 3 } });

    // The next run: the DM view is back at once; #dev, when its history comes, has one unread line and the rule.
    let next = run(initialState('ws://x', 'alice'), { type: 'restore', memory });
    expect(next.views.map((v) => v.id)).toEqual(['*', '@bob']);
    next = run(next, { type: 'connection', conn: { state: 'online' }, now: NOW }, server({ type: 'welcome', sid: 's', nick: 'alice', server: 't', version: 1 }),
      server({ type: 'joined', room: '#lobby', nick: 'alice', ts: NOW }), server(page('#lobby', [1, 2])),
      server({ type: 'joined', room: '#dev', nick: 'alice', ts: NOW }), server(page('#dev', [2, 3, 4, 5])));
    expect(next.current).toBe('#lobby');
    const dev = next.views.find((v) => v.id === '#dev')!;
    expect(dev.unread).toBe(2);
    expect(dev.readUpTo).toEqual({ order: 3, sub: Number.MAX_SAFE_INTEGER });
    expect(next.views.find((v) => v.id === '#lobby')!.unread).toBe(0);
    expect(next.views.map((v) => v.id)).toEqual(['*', '#lobby', '#dev', '@bob']);
  });

  it('goes back to the view that was current: a DM at once, a room when it is joined', () => {
    const dm = run(initialState('ws://x', 'alice'), { type: 'restore', memory: { ...EMPTY_MEMORY, dms: ['bob'], current: '@bob' } });
    expect(dm.current).toBe('@bob');
    let room = run(online('alice'), { type: 'restore', memory: { ...EMPTY_MEMORY, rooms: ['#dev'], current: '#dev' } });
    room = run(room, server({ type: 'joined', room: '#lobby', nick: 'alice', ts: NOW }), server({ type: 'joined', room: '#dev', nick: 'alice', ts: NOW }));
    expect(room.current).toBe('#dev');
  });

  it('treats highlight words like the nick', () => {
    let s = online('alice', ['deploy']);
    s = run(s, server({ type: 'joined', room: '#lobby', nick: 'alice', ts: NOW }), server({ type: 'joined', room: '#dev', nick: 'alice', ts: NOW }),
      server(say('#dev', 1, 'bob', 'Deploy is done')), server(say('#dev', 2, 'bob', 'redeployed')));
    const dev = s.views.find((v) => v.id === '#dev')!;
    expect(dev.mentioned).toBe(true);
    expect(dev.lines.filter((l) => l.kind === 'chat').map((l) => l.kind === 'chat' && l.mention)).toEqual([true, false]);
    expect(s.bell).toBe(1);
  });

  it('writes the file a moment after a change and at once on exit, and reads a damaged one as empty', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'deep', 'state.json');
    let memory = { ...EMPTY_MEMORY, rooms: ['#a'] };
    const keeper = new MemoryKeeper(file, () => memory, 20);
    keeper.changed();
    await waitFor('the file', () => loadMemory(file).rooms[0] === '#a');
    memory = { ...memory, rooms: ['#b'], history: ['typed'] };
    keeper.flushNow();
    expect(loadMemory(file)).toEqual({ ...EMPTY_MEMORY, rooms: ['#b'], history: ['typed'] });
    writeFileSync(file, '{"rooms": ["#c"], "history": [1, "ok"], "read": {"#c": -1, "#d": 7}, "current": 3');
    expect(loadMemory(file)).toEqual(EMPTY_MEMORY);
    writeFileSync(file, '{"rooms": ["#c"], "history": [1, "ok"], "read": {"#c": -1, "#d": 7}, "current": 3}');
    expect(loadMemory(file)).toEqual({ rooms: ['#c'], dms: [], history: ['ok'], read: { '#d': 7 } });
    expect(loadMemory(path.join(dir, 'none.json'))).toEqual(EMPTY_MEMORY);
  });
});

describe('local logs', () => {
  it('append room messages and DMs as plain text, in order, one file per view', async () => {
    const dir = tempDir();
    const log = new ChatLog(dir, () => 'alice');
    log.record(say('#Dev', 1, 'bob', 'hello'));
    log.record({ ...say('#dev', 2, 'bob', 'two\nlines \x1b[31mred'), action: true } as ServerMessage);
    log.record({ type: 'dm', id: 'd', from: 'alice', to: 'bob', text: 'psst', ts: NOW });
    log.record({ type: 'pong' });
    log.close();
    const read = (name: string) => readFileSync(path.join(dir, name), 'utf8');
    await waitFor('both files', () => { try { return read('#dev.log').includes('red') && read('@bob.log').includes('psst'); } catch { return false; } });
    const stamp = logLine(NOW, 'x', '').slice(0, 16);
    expect(read('#dev.log')).toBe(`${stamp} <bob> hello\n${stamp} * bob two\n    lines red\n`);
    expect(read('@bob.log')).toBe(`${stamp} <alice> psst\n`);
  });
});
