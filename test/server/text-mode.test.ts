/**
 * The TCP text mode end to end: a person on nc/telnet (raw bytes in, lines out) chatting with a
 * WebSocket JSON client in the same rooms, against the real built server.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { JsonClient, TextClient } from '../helpers/clients.js';
import { removeDir, startServer, type RunningServer } from '../helpers/server.js';

const IAC = 0xff, DONT = 0xfe, DO = 0xfd, WONT = 0xfc, WILL = 0xfb, SB = 0xfa, SE = 0xf0;
const ECHO = 1, SGA = 3, TTYPE = 24, NAWS = 31, NEW_ENVIRON = 39;

const BANNER = '*** Welcome to chat. Lines starting with / are commands (/help lists them).\r\n*** Choose a nick: ';
const PROMPT = '*** Choose a nick: ';
const T = String.raw`\[\d\d:\d\d\]`;

let server: RunningServer;
const texts: TextClient[] = [];
const jsons: JsonClient[] = [];

beforeAll(async () => { server = await startServer(); });
afterAll(async () => { await server.stop(); removeDir(server.dataDir); });
afterEach(() => {
  // No ANSI escape, ever, in anything the server sent a text user during the test.
  for (const t of texts) expect(t.text.includes('\x1b')).toBe(false);
  for (const t of texts.splice(0)) t.close();
  for (const j of jsons.splice(0)) j.close();
});

const utf8 = (c: TextClient) => c.utf8();

async function text(): Promise<TextClient> {
  const c = await TextClient.connect(server.tcpPort);
  texts.push(c);
  return c;
}

async function ws(nick: string): Promise<JsonClient> {
  const c = await JsonClient.registered('ws', server.wsUrl, nick);
  jsons.push(c);
  return c;
}

/** Waits for `pattern` in what arrived after character offset `from`; returns the match. */
const after = (c: TextClient, from: number, pattern: RegExp, ms?: number) => c.waitAfter(from, pattern, ms);

/** Sends a line (CRLF by default) and waits for `pattern` in the output that follows it. */
async function line(c: TextClient, input: string, pattern: RegExp, eol = '\r\n'): Promise<RegExpMatchArray> {
  const from = utf8(c).length;
  c.write(Buffer.from(input + eol, 'utf8'));
  return after(c, from, pattern);
}

/** A text user who has picked `nick` and has been fully shown #lobby. */
async function textUser(nick: string): Promise<TextClient> {
  const c = await text();
  c.write(`${nick}\r\n`);
  await c.waitFor(new RegExp(`\\*\\*\\* #lobby \\(\\d+\\): [^\\r]*\\b${nick}\\b`));
  return c;
}

describe('registration', () => {
  it('an nc user who sends nothing gets the banner and the nick prompt, and nothing else', async () => {
    const c = await text();
    await c.waitFor(/Choose a nick: $/);
    // A round trip: the answer to a line comes after whatever the server sent before it read the line.
    c.write('/rooms\r\n');
    await c.waitFor(/!!! NOT_REGISTERED: [^\r\n]+\r\n\*\*\* Choose a nick: $/);
    expect(c.text.slice(0, c.text.indexOf('!!! NOT_REGISTERED'))).toBe(BANNER);
  });

  it('a nick registers: welcome, the lobby join, its history and who, as lines', async () => {
    const c = await text();
    c.write('Nia\r\n'); // typed at once: the banner comes with the first byte, not after the delay
    await c.waitFor(/\*\*\* #lobby \(\d+\): .*\bNia\b.*\r\n/);
    const out = c.text.slice(BANNER.length);
    expect(out).toMatch(/^\*\*\* Welcome, Nia! You are on chat \(protocol v1\)\. Type \/help for commands\.\r\n/);
    expect(out).toMatch(new RegExp(`\\r\\n${T} #lobby -> Nia joined\\r\\n`));
    expect(out).toMatch(/\r\n(\*\*\* #lobby: no earlier messages|--- #lobby: \d+ earlier message\(s\) ---)\r\n/);
  });

  it('a taken nick gets !!! NICK_TAKEN and the prompt again; an invalid one !!! NICK_INVALID', async () => {
    await ws('Holder');
    const c = await text();
    let m = await line(c, 'HOLDER', /^\*\*\* Welcome to chat[^\r]*\r\n\*\*\* Choose a nick: !!! NICK_TAKEN: [^\r\n]+\r\n\*\*\* Choose a nick: $/);
    expect(m[0]).toContain('!!! NICK_TAKEN');
    m = await line(c, '9lives', /^!!! NICK_INVALID: [^\r\n]+\r\n\*\*\* Choose a nick: $/);
    expect(m[0]).toContain('!!! NICK_INVALID');
    await line(c, 'a'.repeat(25), /^!!! NICK_INVALID: [^\r\n]+\r\n\*\*\* Choose a nick: $/);
    await line(c, 'Holder2', /\*\*\* Welcome, Holder2!/);
    expect(c.text.split(PROMPT)).toHaveLength(5); // banner + three refusals
  });

  it('a command before the nick is NOT_REGISTERED with the prompt again; /help still works', async () => {
    const c = await text();
    await line(c, '/join #x', /^\*\*\* Welcome to chat[^\r]*\r\n\*\*\* Choose a nick: !!! NOT_REGISTERED: [^\r\n]+\r\n\*\*\* Choose a nick: $/);
    await line(c, '/help', /^Commands:\r\n/);
    await line(c, 'Pre', /\*\*\* Welcome, Pre!/);
  });

  it('/nick at the prompt registers too', async () => {
    const c = await text();
    await line(c, '/nick 9lives', /!!! NICK_INVALID: [^\r\n]+\r\n\*\*\* Choose a nick: $/);
    await line(c, '/nick Slash', /\*\*\* Welcome, Slash!/);
  });
});

describe('chatting', () => {
  it('text lines go to #lobby as messages, and others appear as [HH:MM] #lobby <nick> text', async () => {
    const w = await ws('wally');
    const t = await textUser('tina');
    await w.next((m) => m.type === 'joined' && m.nick === 'tina');
    t.write('hello from nc ☃\r\n');
    expect(await w.next('message')).toMatchObject({ room: '#lobby', from: 'tina', text: 'hello from nc ☃' });
    await after(t, 0, new RegExp(`${T} #lobby <tina> hello from nc ☃\\r\\n`));
    const from = utf8(t).length;
    // A later line of a text is a marked continuation row, never a line of its own.
    w.send({ type: 'say', room: '#lobby', text: 'hi tina\nsecond line' });
    await after(t, from, new RegExp(`^${T} #lobby <wally> hi tina\\r\\n      \\| second line\\r\\n$`));
  });

  it('/join makes the new room current; /me, /topic, /who, /rooms, /history in it', async () => {
    const w = await ws('wendy');
    const t = await textUser('tom');
    await line(t, '/join #tm-den', /\*\*\* #tm-den \(1\): tom\r\n/);
    expect(utf8(t)).toMatch(new RegExp(`${T} #tm-den -> tom joined\\r\\n\\*\\*\\* #tm-den: no earlier messages\\r\\n`));
    w.send({ type: 'join', room: '#tm-den' });
    await w.next((m) => m.type === 'who' && m.room === '#tm-den');
    await after(t, 0, new RegExp(`${T} #tm-den -> wendy joined\\r\\n`));

    t.write('plain goes to the current room\r\n');
    expect(await w.next('message')).toMatchObject({ room: '#tm-den', from: 'tom', text: 'plain goes to the current room', seq: 1 });

    await line(t, '/me waves', new RegExp(`${T} #tm-den \\* tom waves\\r\\n`));
    expect(await w.next('message')).toMatchObject({ room: '#tm-den', from: 'tom', text: 'waves', action: true, seq: 2 });

    await line(t, '/topic hello world', new RegExp(`${T} #tm-den topic set by tom: hello world\\r\\n`));
    expect(await w.next('topic')).toMatchObject({ room: '#tm-den', topic: 'hello world', by: 'tom' });

    const who = await line(t, '/who', /\*\*\* #tm-den \((\d+)\): ([^\r]*)\r\n/);
    expect(who[1]).toBe('2');
    expect(who[2]!.split(' ').sort()).toEqual(['tom', 'wendy']);

    await line(t, '/rooms', /\*\*\* \d+ room\(s\):\r\n(  [^\r]*\r\n)*  #tm-den \(2\) hello world\r\n/);

    const h = await line(t, '/history', /--- #tm-den: (\d+) earlier message\(s\) ---\r\n([\s\S]*?)--- end of history ---\r\n/);
    expect(h[1]).toBe('2');
    expect(h[2]).toMatch(new RegExp(`^${T} #tm-den <tom> plain goes to the current room\\r\\n${T} #tm-den \\* tom waves\\r\\n$`));
    const h1 = await line(t, '/history 1', /--- #tm-den: (\d+) earlier message\(s\), more with \/history ---\r\n([\s\S]*?)--- end of history ---\r\n/);
    expect(h1[1]).toBe('1');
    expect(h1[2]).toMatch(new RegExp(`^${T} #tm-den \\* tom waves\\r\\n$`));
  });

  it('/msg sends a dm both ways; /nick renames and later lines carry the new nick', async () => {
    const w = await ws('wes');
    const t = await textUser('tara');
    await line(t, '/msg wes psst, over here', new RegExp(`${T} \\[tara -> wes\\] psst, over here\\r\\n`));
    expect(await w.next('dm')).toMatchObject({ from: 'tara', to: 'wes', text: 'psst, over here' });
    let from = utf8(t).length;
    w.send({ type: 'dm', to: 'tara', text: 'got it' });
    await after(t, from, new RegExp(`^${T} \\[wes -> tara\\] got it\\r\\n$`));
    await line(t, '/msg nobody-here hi', /^!!! NO_SUCH_USER: [^\r]+\r\n$/);

    await line(t, '/nick tara2', /^\*\*\* tara is now known as tara2\r\n$/);
    expect(await w.next('nick')).toMatchObject({ old: 'tara', new: 'tara2' });
    await line(t, '/nick wes', /^!!! NICK_TAKEN: [^\r]+\r\n$/); // no prompt once registered
    await line(t, '/nick 9lives', /^!!! NICK_INVALID: [^\r]+\r\n$/);
    t.write('renamed\r\n');
    expect(await w.next('message')).toMatchObject({ room: '#lobby', from: 'tara2', text: 'renamed' });
    from = utf8(t).length;
    w.send({ type: 'dm', to: 'TARA2', text: 'still you?' });
    await after(t, from, new RegExp(`${T} \\[wes -> tara2\\] still you\\?\\r\\n`));
  });

  it('/part leaves and falls back to the previous room; plain text then goes there', async () => {
    const w = await ws('walt');
    const t = await textUser('tess');
    w.send({ type: 'join', room: '#tm-part' });
    await w.next((m) => m.type === 'who' && m.room === '#tm-part');
    await line(t, '/join #tm-part', /\*\*\* #tm-part \(2\): /);
    await line(t, '/part #tm-part off I go', new RegExp(`${T} #tm-part <- tess left \\(off I go\\)\\r\\n\\*\\*\\* Lines you type now go to #lobby\\r\\n`));
    expect(await w.next((m) => m.type === 'left' && m.room === '#tm-part')).toMatchObject({ nick: 'tess', reason: 'off I go' });
    t.write('back in the lobby\r\n');
    expect(await w.next('message')).toMatchObject({ room: '#lobby', from: 'tess', text: 'back in the lobby' });
    await line(t, '/part', new RegExp(`${T} #lobby <- tess left\\r\\n\\*\\*\\* You are in no room now: /join #room to talk\\r\\n`));
    await line(t, 'into the void', /^!!! BAD_MESSAGE: you are not in a room: \/join one first\r\n$/);
  });

  it('/help lists the commands; an unknown command is an error line and the session still works', async () => {
    const w = await ws('wade');
    const t = await textUser('ted');
    const help = await line(t, '/help', /^Commands:\r\n([\s\S]*?)Anything else is sent to the current room[^\r]*\r\n$/);
    for (const cmd of ['/join', '/part', '/msg', '/me', '/nick', '/topic', '/who', '/rooms', '/history', '/quit', '/help']) {
      expect(help[1]).toContain(`${cmd} `);
    }
    expect(help[1]).not.toMatch(/[^\r]\n/); // every line ends CRLF
    await line(t, '/help msg', /^\/msg nick text: send a private message \(also \/query \/m\)\r\n$/);
    await line(t, '/frobnicate now', /^!!! BAD_MESSAGE: unknown command \/frobnicate: try \/help\r\n$/);
    await line(t, '/join', /^!!! BAD_MESSAGE: which room\?\r\n$/);
    // A rule broken inside a command is a usage line (the command parser reports no protocol code).
    await line(t, '/join #bad!room', /^!!! ROOM_INVALID: room must be # and 1-32 of A-Z a-z 0-9 _ -\r\n$/);
    t.write('still here\r\n');
    expect(await w.next('message')).toMatchObject({ from: 'ted', text: 'still here' });
  });

  it('lines sent all at once (a script piping into nc) take effect in order: nick, say, join, say, part, say', async () => {
    const w = await ws('pipeHolder');
    w.send({ type: 'join', room: '#tm-pipe' });
    await w.next((m) => m.type === 'who' && m.room === '#tm-pipe');
    const t = await text();
    t.write('PIPEHOLDER\r\npia\r\nhello all\r\n/join #tm-pipe\r\nin the pipe\r\n/part\r\nback home\r\n');
    expect(await w.next('message')).toMatchObject({ room: '#lobby', from: 'pia', text: 'hello all' });
    expect(await w.next('message')).toMatchObject({ room: '#tm-pipe', from: 'pia', text: 'in the pipe' });
    expect(await w.next('message')).toMatchObject({ room: '#lobby', from: 'pia', text: 'back home' });
    await t.waitFor(/<pia> back home\r\n/);
    expect(t.text).toMatch(/!!! NICK_TAKEN: [^\r]+\r\n\*\*\* Choose a nick: \*\*\* Welcome, pia!/);
    expect(t.text).not.toContain('BAD_MESSAGE');
  });

  it('/quit answers a bye line, closes the socket, and others see left', async () => {
    const w = await ws('wilma');
    const t = await textUser('quinn');
    await w.next((m) => m.type === 'joined' && m.nick === 'quinn');
    const from = utf8(t).length;
    t.write('/quit see you\r\n');
    await after(t, from, /^\*\*\* bye: quit\r\n$/);
    await vi.waitFor(() => expect(t.closed).toBe(true));
    expect(utf8(t).slice(from)).toBe('*** bye: quit\r\n');
    expect(await w.next((m) => m.type === 'left' && m.nick === 'quinn')).toMatchObject({ room: '#lobby', reason: 'see you' });
    // The nick is free again.
    const again = await textUser('quinn');
    expect(again.text).toContain('*** Welcome, quinn!');
  });
});

describe('telnet safety', () => {
  it("a telnet client's opening negotiation is answered and stripped, and the nick still registers", async () => {
    const w = await ws('watcher');
    const c = await text();
    c.write(Buffer.from([
      IAC, DO, SGA, IAC, WILL, TTYPE, IAC, WILL, NAWS, IAC, WILL, NEW_ENVIRON, IAC, DO, ECHO,
      IAC, SB, NAWS, 0, 132, 0, 43, IAC, SE,
    ]));
    await c.waitFor(/Choose a nick: /);
    c.write(Buffer.concat([Buffer.from('telly\r\0'), Buffer.from([IAC, DO, SGA])]));
    await c.waitFor(/\*\*\* Welcome, telly!/);
    expect(await w.next('joined')).toMatchObject({ room: '#lobby', nick: 'telly' });
    const raw = Buffer.from(c.text, 'latin1');
    const has = (seq: number[]) => raw.indexOf(Buffer.from(seq)) >= 0;
    expect(has([IAC, WONT, SGA])).toBe(true);
    expect(has([IAC, DONT, TTYPE])).toBe(true);
    expect(has([IAC, DONT, NAWS])).toBe(true);
    expect(has([IAC, DONT, NEW_ENVIRON])).toBe(true);
    expect(has([IAC, WONT, ECHO])).toBe(true);
    // Each refusal once, even though DO SGA came twice; and nothing else with IAC in it.
    expect([...raw].filter((b) => b === IAC)).toHaveLength(5);
    expect(c.text.split(String.fromCharCode(IAC, WONT, SGA))).toHaveLength(2);
  });

  it('Enter as CR NUL, bare CR and bare LF all send the line; backspace and DEL edit it', async () => {
    const w = await ws('wren');
    const t = await textUser('tilly');
    t.write('cr nul enter\r\0');
    expect(await w.next('message')).toMatchObject({ from: 'tilly', text: 'cr nul enter' });
    t.write('bare cr enter\r');
    expect(await w.next('message')).toMatchObject({ from: 'tilly', text: 'bare cr enter' });
    t.write('bare lf enter\n');
    expect(await w.next('message')).toMatchObject({ from: 'tilly', text: 'bare lf enter' });
    t.write('helx\x08lo wx\x7forlf\x08d\r\n');
    expect(await w.next('message')).toMatchObject({ from: 'tilly', text: 'hello world' });
    t.write(Buffer.from('caf\u00e9\x08e\r\n', 'utf8'));
    expect(await w.next('message')).toMatchObject({ from: 'tilly', text: 'cafe' });
    t.write('up\x1b[Aarrow\r\n');
    expect(await w.next('message')).toMatchObject({ from: 'tilly', text: 'uparrow' });
    expect(await w.none('message', 200)).toBe(true);
  });

  it('an oversize line gets !!! TOO_LARGE and the session keeps working', async () => {
    const w = await ws('wynn');
    const t = await textUser('theo');
    await line(t, 'x'.repeat(70 * 1024), /^!!! TOO_LARGE: line is over 65536 bytes\r\n$/);
    t.write('after the big one\r\n');
    expect(await w.next('message')).toMatchObject({ from: 'theo', text: 'after the big one' });
    expect(await w.none('message', 200)).toBe(true);
  });

  it('an invalid UTF-8 line gets !!! BAD_ENCODING and the session keeps working', async () => {
    const w = await ws('wolf');
    const t = await textUser('tuck');
    const from = utf8(t).length;
    t.write(Buffer.from([0x62, 0x61, 0x64, 0xc3, 0x28, 0x0d, 0x0a]));
    await after(t, from, /^!!! BAD_ENCODING: line is not valid UTF-8\r\n$/);
    t.write('fine again\r\n');
    expect(await w.next('message')).toMatchObject({ from: 'tuck', text: 'fine again' });
  });

  it('a client whose first byte is { on the same port speaks JSON lines, not text', async () => {
    const j = await JsonClient.tcp(server.tcpPort);
    jsons.push(j);
    let raw = '';
    j.socket.on('data', (chunk: Buffer) => { raw += chunk.toString('utf8'); });
    j.send({ type: 'hello', nick: 'jason' });
    expect(await j.next('welcome')).toMatchObject({ nick: 'jason', server: 'chat', version: 1 });
    await j.next('who');
    expect(raw.slice(0, 17)).toBe('{"type":"welcome"');
    expect(raw).not.toContain('***');
    for (const l of raw.split('\n').filter(Boolean)) expect(() => JSON.parse(l)).not.toThrow();
  });
});
