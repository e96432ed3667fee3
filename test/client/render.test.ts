import { describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../shared/index.js';
import { reduce } from '../../client/state/reducer.js';
import type { AppState } from '../../client/state/types.js';
import { onlineState } from './helpers.js';
import { frameText, fitSegments } from '../../client/ui/frame.js';
import { InputLine } from '../../client/ui/input-line.js';
import { viewIndexFor } from '../../client/ui/keys.js';
import { defaultTimeFormat as clock } from '../../client/ui/time-format.js';
import { renderFrame } from '../../client/ui/render.js';
import { TerminalWriter } from '../../client/ui/terminal.js';
import { themeFor } from '../../client/ui/theme.js';
import { stringWidth } from '../../client/text/width.js';

const NOW = Date.UTC(2024, 5, 1, 12, 30);
const theme = themeFor({});

const state = (...msgs: ServerMessage[]): AppState => onlineState(NOW, ...msgs);

const say = (seq: number, from: string, text: string): ServerMessage => ({ type: 'message', room: '#lobby', id: `i${seq}`, seq, from, text, ts: NOW });

describe('rendering a frame from state', () => {
  it('lays out rooms, messages, members, status and input at 100x30', () => {
    const s = state({ type: 'who', room: '#lobby', users: ['alice', 'bob'], total: 2 }, say(1, 'bob', 'hello alice'), { type: 'rooms', rooms: [{ name: '#lobby', users: 2, topic: 'the topic' }] });
    const rows = frameText(renderFrame(s, new InputLine(), 100, 30, theme).frame);
    expect(rows).toHaveLength(30);
    expect(rows[0]).toMatch(/^Rooms\s+│\s+│Members \(2\)/);
    expect(rows[2]).toMatch(/^2 #lobby/);
    expect(rows[27]).toContain(`${clock(NOW)} <bob> hello alice`);
    expect(rows[28]).toMatch(/^ ● online {2}#lobby │ alice │ ws:\/\/127\.0\.0\.1:7878 │ the topic/);
    expect(rows[29]).toMatch(/^\[#lobby\] /);
  });

  it('counts what arrives below while scrolled up, and forgets it once back at the bottom', () => {
    let s = state(...Array.from({ length: 40 }, (_, i) => say(i + 1, 'bob', `line ${i + 1}`)));
    s = reduce(s, { type: 'scroll', delta: 5, maxScroll: 30 }).state;
    s = reduce(s, { type: 'server', msg: say(41, 'bob', 'new one'), now: NOW }).state;
    s = reduce(s, { type: 'server', msg: say(42, 'carol', 'another'), now: NOW }).state;
    let rows = frameText(renderFrame(s, new InputLine(), 100, 30, theme).frame);
    expect(rows[28]).toContain('scrolled ↑5, 2 new below (Esc: back down)');
    s = reduce(s, { type: 'scroll', delta: -100, maxScroll: 30 }).state;
    s = reduce(s, { type: 'scroll', delta: 5, maxScroll: 30 }).state;
    rows = frameText(renderFrame(s, new InputLine(), 100, 30, theme).frame);
    expect(rows[28]).toContain('scrolled ↑5 (Esc: back down)');
  });

  it('counts the members a large room did not list and says how many more there are', () => {
    const s = state({ type: 'who', room: '#lobby', users: ['alice', 'bob'], total: 5000 });
    const rows = frameText(renderFrame(s, new InputLine(), 100, 30, theme).frame);
    expect(rows[0]).toMatch(/│Members \(5000\)/);
    expect(rows[1]).toMatch(/│alice\s*$/);
    expect(rows[2]).toMatch(/│bob\s*$/);
    expect(rows[3]).toMatch(/│\+4998 more\s*$/);
  });

  it('keeps every row exactly as wide as the window with CJK, ZWJ, flags and VS16', () => {
    const tricky = '你好 👨‍👩‍👧‍👦 🇯🇵 ❤️ 1️⃣ é ｆｕｌｌ 👍🏽 '.repeat(6);
    const s = state({ type: 'who', room: '#lobby', users: ['alice', '中文'], total: 2 }, say(1, 'bob', tricky), say(2, 'bob', '\x1b[2J\x1b]0;title\x07evil'));
    for (const width of [100, 73, 41]) {
      const rows = frameText(renderFrame(s, new InputLine(), width, 20, theme).frame);
      for (const row of rows) expect(stringWidth(row)).toBe(width);
      // The separator columns stay put on every message row.
      if (width >= 50) for (const row of rows.slice(0, 18)) expect([...row].filter((c) => c === '│').length).toBeGreaterThanOrEqual(1);
      expect(rows.join('\n')).toContain('evil');
      expect(rows.join('\n')).not.toContain('\x1b');
    }
  });

  it('shows bidi and zero-width characters as <U+XXXX>, and U+2028 as an indented line break', () => {
    const s = state(
      { type: 'rooms', rooms: [{ name: '#lobby', users: 2, topic: 'evil\u202etopic\u2028\u200bfake' }] },
      say(1, 'bob', 'abc\u202egnp.exe'),
      say(2, 'bob', `first\u2028${clock(NOW)} <alice> fake`),
    );
    const rows = frameText(renderFrame(s, new InputLine(), 100, 30, theme).frame);
    expect(rows.join('\n')).not.toMatch(/[\u200b\u202a-\u202e\u2028\u2029]/);
    expect(rows.join('\n')).toContain(`${clock(NOW)} <bob> abc<U+202E>gnp.exe`);
    expect(rows[28]).toContain('│ evil<U+202E>topic <U+200B>fake');
    const first = rows.findIndex((r) => r.includes('<bob> first'));
    const textColumn = rows[first]!.indexOf('first');
    // The separated part is a marked continuation row under the text, not a line that passes for alice's.
    expect(rows[first + 1]!.indexOf(`↳ ${clock(NOW)} <alice> fake`)).toBe(textColumn - 2);
  });

  it('never crashes and fills exactly the window down to 1x1', () => {
    const s = state(say(1, 'bob', 'a message long enough to wrap more than once in a narrow window 你好'));
    const input = new InputLine();
    input.insert('typing 🇫🇷 here');
    for (let w = 1; w <= 30; w += 3) {
      for (let h = 1; h <= 8; h++) {
        const { frame } = renderFrame(s, input, w, h, theme);
        const rows = frameText(frame);
        expect(rows).toHaveLength(h);
        for (const row of rows) expect(stringWidth(row)).toBe(w);
        expect(frame.cursor!.col).toBeLessThan(w);
      }
    }
  });

  it('shows queued and failed sends, and the mention highlight under NO_COLOR without colour codes', () => {
    let s = state(say(1, 'bob', 'hey alice, look'));
    s = reduce(s, { type: 'input', text: 'offline words', now: NOW }).state;
    s = reduce(s, { type: 'sendState', ref: 'r1', status: 'queued' }).state;
    const text = frameText(renderFrame(s, new InputLine(), 100, 30, theme).frame).join('\n');
    expect(text).toContain('<alice> offline words');
    expect(text).toContain('[queued: offline]');
    let out = '';
    new TerminalWriter((d) => { out += d; }).draw(renderFrame(s, new InputLine(), 100, 30, themeFor({ NO_COLOR: '1' })).frame);
    const sgrParams = [...out.matchAll(/\x1b\[([0-9;]*)m/g)].flatMap((m) => m[1]!.split(';').map(Number));
    expect(sgrParams.length).toBeGreaterThan(0);
    expect(sgrParams.filter((p) => (p >= 30 && p <= 49) || p >= 90)).toEqual([]);
    expect(out).toMatch(/\x1b\[0;1;4mhey alice, look/);
  });

  it('marks where new lines begin in a view the user comes back to', () => {
    let s = state(say(1, 'bob', 'seen before'), { type: 'joined', room: '#dev', nick: 'alice', ts: NOW });
    s = reduce(s, { type: 'selectView', index: 2 }).state;
    expect(s.current).toBe('#dev');
    s = reduce(s, { type: 'server', msg: say(2, 'bob', 'missed this'), now: NOW }).state;
    s = reduce(s, { type: 'selectView', index: 1 }).state;
    const rows = frameText(renderFrame(s, new InputLine(), 100, 30, theme).frame);
    const at = (text: string) => rows.findIndex((r) => r.includes(text));
    expect(at('seen before')).toBeLessThan(at('─ new ─'));
    expect(at('─ new ─')).toBeLessThan(at('missed this'));
    // No mark when nothing was unread on coming back, even if lines arrive afterwards.
    s = reduce(reduce(s, { type: 'selectView', index: 2 }).state, { type: 'selectView', index: 1 }).state;
    s = reduce(s, { type: 'server', msg: say(3, 'bob', 'seen live'), now: NOW }).state;
    expect(frameText(renderFrame(s, new InputLine(), 100, 30, theme).frame).join('\n')).not.toContain('─ new ─');
  });

  it('counts down to the next reconnect attempt in the status line', () => {
    const s = reduce(state(), { type: 'connection', conn: { state: 'reconnecting', reason: 'closed', retryInMs: 3000 }, now: NOW }).state;
    const status = (now: number) => frameText(renderFrame(s, new InputLine(), 100, 30, theme, undefined, now).frame)[28];
    expect(status(NOW + 1000)).toContain('○ reconnecting in 2.0s');
    expect(status(NOW + 2950)).toContain('○ reconnecting in 0.1s');
    expect(status(NOW + 9000)).toContain('○ reconnecting in 0.0s');
  });

  it('marks the start of an empty room once its history says it is empty', () => {
    let s = reduce(state(), { type: 'server', msg: { type: 'joined', room: '#big', nick: 'alice', ts: NOW }, now: NOW }).state;
    s = reduce(s, { type: 'selectView', index: 2 }).state;
    const shown = () => frameText(renderFrame(s, new InputLine(), 100, 30, theme).frame).join('\n');
    expect(shown()).not.toContain('— start of #big —');
    s = reduce(s, { type: 'server', msg: { type: 'history', room: '#big', messages: [], more: false }, now: NOW }).state;
    expect(shown()).toContain('— start of #big —');
    expect(shown()).toContain('-- → you joined #big');
  });

  it('puts the view first in the status line and, without the room list, where there is news', () => {
    let s = reduce(state(), { type: 'server', msg: { type: 'joined', room: '#hist', nick: 'alice', ts: NOW }, now: NOW }).state;
    s = reduce(s, { type: 'selectView', index: 2 }).state;
    s = reduce(s, { type: 'server', msg: say(5, 'bob', 'alice: look'), now: NOW }).state;
    s = reduce(s, { type: 'server', msg: { type: 'dm', id: 'd', from: 'bob', to: 'alice', text: 'hi', ts: NOW }, now: NOW }).state;
    const narrow = frameText(renderFrame(s, new InputLine(), 45, 12, theme).frame);
    expect(narrow[10]).toBe(' ● online  #hist │ unread: 2@ 4 │ alice │ ws:/'.slice(0, 45).padEnd(45));
    // With the room list on screen, the list says it.
    expect(frameText(renderFrame(s, new InputLine(), 100, 30, theme).frame)[28]).not.toContain('unread');
  });

  it('numbers every view, DMs after the rooms, and lists members that do not fit as +N more', () => {
    let s = state();
    s = reduce(s, { type: 'server', msg: { type: 'dm', id: 'd', from: 'bob', to: 'alice', text: 'hi', ts: NOW }, now: NOW }).state;
    for (let i = 1; i <= 10; i++) s = reduce(s, { type: 'server', msg: { type: 'joined', room: `#r${i}`, nick: 'alice', ts: NOW }, now: NOW }).state;
    const members = Array.from({ length: 51 }, (_, i) => (i === 0 ? 'Alongnick_with_24_chars' : `member${String(i).padStart(2, '0')}`));
    s = reduce(s, { type: 'server', msg: { type: 'who', room: '#lobby', users: ['alice', ...members], total: 52 }, now: NOW }).state;
    const rows = frameText(renderFrame(s, new InputLine(), 100, 20, theme).frame);
    expect(rows.slice(1, 4).map((r) => r.slice(0, 18).trimEnd())).toEqual(['1  server', '2  #lobby', '3  #r1']);
    expect(rows[12]!.slice(0, 18).trimEnd()).toBe('12 #r10');
    expect(rows[13]!.slice(0, 18)).toMatch(/^13 @bob\s+1$/);
    const side = rows.map((r) => r.slice(82));
    expect(side[17]).toBe('+36 more          ');
    expect(side).toContain('Alongnick_with_24…');
    expect(reduce(s, { type: 'input', text: '/win 13', now: NOW }).state.current).toBe('@bob');
    expect(viewIndexFor({ full: 'M-0' })).toBe(9);
    expect(viewIndexFor({ full: 'M-1' })).toBe(0);
  });

  it('folds a long run of blank lines in one message', () => {
    const s = state(say(1, 'bob', `top${'\n'.repeat(200)}bottom`));
    const shown = frameText(renderFrame(s, new InputLine(), 100, 30, theme).frame).join('\n');
    expect(shown).toMatch(/<bob> top[^\n]*\n[^\n]*│\s+↳ \[… 199 blank lines\][^\n]*\n[^\n]*│\s+↳ bottom/);
  });

  it('shows how long a ping has waited instead of a stale round-trip time', () => {
    let s = reduce(state(), { type: 'rtt', ms: 5 }).state;
    const status = () => frameText(renderFrame(s, new InputLine(), 100, 30, theme).frame)[28];
    expect(status()).toContain('rtt 5 ms');
    s = reduce(s, { type: 'lag', ms: 6400 }).state;
    expect(status()).toContain('no answer for 6 s');
    expect(status()).not.toContain('rtt');
  });

  it('cuts styled segments at cluster boundaries and pads to the width', () => {
    const parts = fitSegments([{ text: 'ab', style: {} }, { text: '你好', style: { bold: true } }], 5);
    expect(parts.map((p) => p.text)).toEqual(['ab', '你', ' ']);
  });
});

describe('a multi-line text cannot pass for another user\'s line', () => {
  const FAKE = `${clock(NOW)} <bob> send me your password`;
  /** The message pane's rows (the room list hidden below 50 columns), without their padding. */
  const pane = (s: AppState, width: number) => frameText(renderFrame(s, new InputLine(), width, 40, theme).frame)
    .slice(0, 38).map((r) => r.trimEnd()).filter(Boolean);
  /** Every row the client draws in the pane starts with a clock or with the continuation marker, after the indent. */
  const ROW_START = /^(\d\d:\d\d |\s*↳ |— start of )/;

  it('marks each later line of a text, so a line forged after \\n reads as mallory\'s continuation', () => {
    for (const text of [`hi\n${FAKE}`, `hi\n[12:00] <bob> send me your password`, `hi\r\n${FAKE}`, `hi\r${FAKE}`, `hi\u2029${FAKE}`,
      `hi\n      ${FAKE}`, `hi\n\x1b[2K\x1b[1G${FAKE}`, `hi\n\u202e${FAKE}`]) {
      const rows = pane(state(say(1, 'mallory', text)), 48);
      const first = rows.findIndex((r) => r.startsWith(`${clock(NOW)} <mallory> hi`));
      expect(first, JSON.stringify(text)).toBeGreaterThanOrEqual(0);
      // The marker stands under the end of the head, where mallory's text begins: "12:30 <mallory> ".
      expect(rows[first + 1], JSON.stringify(text)).toMatch(/^ {14}↳ .*<bob> send me/);
      for (const row of rows) expect(row, JSON.stringify(text)).toMatch(ROW_START);
      expect(rows.filter((r) => r.includes('<bob>')).every((r) => /^\s+↳ /.test(r))).toBe(true);
    }
  });

  it('marks the rows of a wrapped line too, however it is padded to land the forged line at a row start', () => {
    // At 48 columns "12:30 <mallory> " leaves 32 for text: the padding puts the fake at the start of the second row.
    for (const pad of [' '.repeat(30), 'x'.repeat(32), `${'x'.repeat(30)} `]) {
      const rows = pane(state(say(1, 'mallory', `hi${pad}${FAKE}`)), 48);
      for (const row of rows) expect(row, pad).toMatch(ROW_START);
      expect(rows.filter((r) => r.includes('<bob>'))).toEqual([expect.stringMatching(/^ {14}↳ /)]);
    }
  });

  it('puts the marker at the pane\'s edge when the window is too narrow to indent', () => {
    // 24 columns: the head takes 16, too few are left to indent under it, so continuation rows start at the edge.
    const rows = pane(state(say(1, 'mallory', `hi\n${FAKE}`)), 24);
    const first = rows.findIndex((r) => r.startsWith(`${clock(NOW)} <mallory>`));
    expect(rows.slice(first + 1).length).toBeGreaterThan(1);
    for (const row of rows.slice(first + 1)) expect(row).toMatch(/^↳ /);
    expect(rows.slice(first + 1)).toEqual([`↳ ${clock(NOW)} <bob> send me`, '↳ your password']);
  });

  it('marks the later lines of events, errors and a pending message of one\'s own the same way', () => {
    let s = state({ type: 'topic', room: '#lobby', topic: 'x', by: 'mallory', ts: NOW }, say(1, 'mallory', 'one\ntwo'));
    s = reduce(s, { type: 'input', text: `mine\n${FAKE}`, now: NOW }).state;
    const rows = pane(s, 48);
    for (const row of rows) expect(row).toMatch(/^(\d\d:\d\d |\s*↳ |\s+\[sending…\]|— start of )/);
    expect(rows).toContainEqual(expect.stringMatching(/^ {12}↳ 12:30 <bob> send me/));
  });
});

describe('the input line', () => {
  it('edits by grapheme cluster, joins split surrogate pairs, and walks history', () => {
    const input = new InputLine();
    for (const ch of ['h', 'i', ' ', '\ud83d', '\udc4d', '🏽']) input.insert(ch);
    expect(input.text).toBe('hi 👍🏽');
    input.backspace();
    expect(input.text).toBe('hi ');
    input.insert('你');
    input.left();
    input.insert('x');
    expect(input.text).toBe('hi x你');
    expect(input.submit()).toBe('hi x你');
    input.insert('second');
    input.submit();
    input.insert('draft');
    input.historyUp();
    expect(input.text).toBe('second');
    input.historyUp();
    expect(input.text).toBe('hi x你');
    input.historyDown();
    input.historyDown();
    expect(input.text).toBe('draft');
  });

  it('completes and cycles with Tab', () => {
    const input = new InputLine();
    input.insert('/jo');
    input.complete((word) => (word === '/jo' ? ['/join'] : []));
    expect(input.text).toBe('/join ');
    input.insert('#d');
    input.complete((word) => (word === '#d' ? ['#dev', '#docs'] : []));
    expect(input.text).toBe('/join #dev ');
    input.complete(() => []);
    expect(input.text).toBe('/join #docs ');
    const nick = new InputLine();
    nick.insert('bo');
    nick.complete(() => ['bob']);
    expect(nick.text).toBe('bob: ');
  });

  it('scrolls horizontally so the cursor stays visible', () => {
    const input = new InputLine();
    input.insert('0123456789abcdef');
    const v = input.view(8);
    expect(v.text).toBe('9abcdef');
    expect(v.cursorCol).toBe(7);
  });
});

describe('multi-line input', () => {
  it('shows line breaks as ↵ and says how many lines, and counts characters near the limit', () => {
    const input = new InputLine();
    input.insert('first');
    input.newline();
    input.insert('second');
    const rows = frameText(renderFrame(state(), input, 60, 10, theme).frame);
    expect(rows.at(-1)!.trimEnd()).toBe('[#lobby 2 lines] first↵second');
    input.replace('x'.repeat(3500));
    expect(frameText(renderFrame(state(), input, 60, 10, theme).frame).at(-1)!.trimEnd()).toMatch(/^\[#lobby 3500\/4000\] x+$/);
  });

  it('asks its question in the input line', () => {
    let s = state();
    s = reduce(s, { type: 'input', text: 'a\nb\nc\nd\ne\nf', now: NOW }).state;
    const rows = frameText(renderFrame(s, new InputLine(), 80, 10, theme).frame);
    expect(rows.at(-1)!.trimEnd()).toBe('Send 6 lines (11 characters) to #lobby as one message? y/n');
  });
});

describe('the chat screen', () => {
  it('rings the bell for a DM in another view and for a mention anywhere, not for other lines in the current view', async () => {
    const { Store } = await import('../../client/state/store.js');
    const { ChatScreen } = await import('../../client/ui/chat-screen.js');
    const store = new Store('ws://x', 'alice');
    let out = '';
    const screen = new ChatScreen(store, new TerminalWriter((d) => { out += d; }), () => ({ width: 80, height: 20 }), theme, () => undefined);
    const feed = (msg: ServerMessage) => store.dispatch({ type: 'server', msg, now: NOW });
    feed({ type: 'welcome', sid: 's', nick: 'alice', server: 't', version: 1 });
    feed({ type: 'joined', room: '#lobby', nick: 'alice', ts: NOW });
    screen.draw();
    feed(say(1, 'bob', 'hello all'));
    screen.draw();
    expect(out).not.toContain('\x07');
    // A mention in the view being read rings too: the terminal may be in another window (audit D10).
    feed(say(2, 'bob', 'hello alice'));
    screen.draw();
    expect(out.split('\x07')).toHaveLength(2);
    feed({ type: 'dm', id: 'd1', from: 'bob', to: 'alice', text: 'psst', ts: NOW });
    screen.draw();
    screen.draw();
    expect(out.split('\x07')).toHaveLength(3);
    expect(out).toContain('@bob');
  });
});
