/**
 * Text mode shows what a line really holds (attack report row 18, B10): bidi controls and zero-width
 * characters from other users arrive as `<U+XXXX>`, and U+2028/U+2029 cannot start a line that passes for
 * one of the server's, in texts, topics, reasons, room lists and history. JSON clients still get the text
 * exactly as it was sent.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JsonClient, TextClient } from '../helpers/clients.js';
import { removeDir, startServer, type RunningServer } from '../helpers/server.js';

const T = String.raw`\[\d\d:\d\d\]`;
// Raw in the bytes a text user receives, each of these would reorder or hide part of what is shown.
const HIDDEN = /[\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff\u2028\u2029]/;

let server: RunningServer;
const open: Array<{ close(): void }> = [];

beforeAll(async () => { server = await startServer(); });
afterAll(async () => { await server.stop(); removeDir(server.dataDir); });
afterEach(() => { for (const c of open.splice(0)) c.close(); });

const utf8 = (c: TextClient) => c.utf8();
const after = (c: TextClient, from: number, pattern: RegExp) => c.waitAfter(from, pattern);

async function textUser(nick: string): Promise<TextClient> {
  const c = await TextClient.connect(server.tcpPort);
  open.push(c);
  c.write(`${nick}\r\n`);
  await c.waitFor(new RegExp(`\\*\\*\\* #lobby \\(\\d+\\): [^\\r]*\\b${nick}\\b`));
  return c;
}

async function jsonUser(nick: string): Promise<JsonClient> {
  const c = await JsonClient.registered('ws', server.wsUrl, nick);
  open.push(c);
  return c;
}

async function say(c: JsonClient, room: string, text: string): Promise<void> {
  c.send({ type: 'say', room, text, ref: 'r' });
  await c.next((m) => m.type === 'ack');
}

describe('text mode neutralises bidi, zero-width and separator characters', () => {
  it('shows an RLO in a text as <U+202E>, while JSON clients get the text as sent', async () => {
    const mallory = await jsonUser('mallory');
    const watcher = await jsonUser('watcher');
    const t = await textUser('tina');
    const from = utf8(t).length;
    await say(mallory, '#lobby', 'see abc\u202egnp.exe');
    await after(t, from, new RegExp(`${T} #lobby <mallory> see abc<U\\+202E>gnp\\.exe\\r\\n`));
    const live = await watcher.next((m) => m.type === 'message' && m.from === 'mallory');
    expect(live).toMatchObject({ text: 'see abc\u202egnp.exe' });
    expect(utf8(t)).not.toMatch(HIDDEN);
  });

  it('shows an RLO in a topic, a room list and a part reason as a marker', async () => {
    const mallory = await jsonUser('mal2');
    const t = await textUser('tom');
    mallory.send({ type: 'join', room: '#bidi' });
    await mallory.next((m) => m.type === 'who' && m.room === '#bidi');
    let from = utf8(t).length;
    t.write('/join #bidi\r\n');
    await after(t, from, /\*\*\* #bidi \(2\)/);

    from = utf8(t).length;
    mallory.send({ type: 'topic', room: '#bidi', topic: 'files: abc\u202egnp.exe\u2028[00:00] *** fake' });
    await after(t, from, new RegExp(`${T} #bidi topic set by mal2: files: abc<U\\+202E>gnp\\.exe \\[00:00\\] \\*\\*\\* fake\\r\\n`));

    from = utf8(t).length;
    t.write('/rooms\r\n');
    await after(t, from, /  #bidi \(2\) files: abc<U\+202E>gnp\.exe \[00:00\] \*\*\* fake\r\n/);

    from = utf8(t).length;
    mallory.send({ type: 'part', room: '#bidi', reason: 'bye\u2067\u200b' });
    await after(t, from, new RegExp(`${T} #bidi <- mal2 left \\(bye<U\\+2067><U\\+200B>\\)\\r\\n`));
    expect(utf8(t)).not.toMatch(HIDDEN);
  });

  it('breaks a text at U+2028/U+2029 into marked continuation lines only, live and from history', async () => {
    const mallory = await jsonUser('mal3');
    const t = await textUser('tess');
    const fake = 'ok\u2028[12:00] #lobby <tess> I agree\u2029*** tess is now known as fool';
    let from = utf8(t).length;
    await say(mallory, '#lobby', fake);
    const marked = new RegExp(`${T} #lobby <mal3> ok\\r\\n {6}\\| \\[12:00\\] #lobby <tess> I agree\\r\\n {6}\\| \\*\\*\\* tess is now known as fool\\r\\n`);
    await after(t, from, marked);

    from = utf8(t).length;
    t.write('/history 1\r\n');
    const page = await after(t, from, /--- #lobby: 1 earlier message[\s\S]*?--- end of history ---\r\n/);
    expect(page[0]).toMatch(marked);
    // No line the server sent starts with anything but its own prefixes.
    for (const line of utf8(t).split('\r\n')) expect(line).not.toMatch(/^\[12:00\]|^\*\*\* tess is now/);
    expect(utf8(t)).not.toMatch(HIDDEN);
  });

  it('marks zero-width characters but keeps the joiners of emoji and scripts', async () => {
    const mallory = await jsonUser('mal4');
    const t = await textUser('tia');
    const from = utf8(t).length;
    await say(mallory, '#lobby', 'pay\u200bpal pay\u200dpal \ufeff 👨\u200d👩\u200d👧 می\u200cخواهم');
    await after(t, from, /<mal4> pay<U\+200B>pal pay<U\+200D>pal <U\+FEFF> 👨\u200d👩\u200d👧 می\u200cخواهم\r\n/);
  });
});
