/**
 * Anti-impersonation in the TCP text mode (issue 10): a text with line breaks, or a line padded so that
 * a terminal would wrap it just before a forged line, never makes a row that passes for another user's.
 * Every row after a line's first starts with the continuation marker `      | `, and no row is wider than
 * 80 columns, so a terminal of 80 columns or more never starts a row where the sender chose. Against the
 * real built server over TCP, with the attacker on WebSocket JSON (which carries any text).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringWidth } from '../../client/text/width.js';
import { JsonClient, TextClient } from '../helpers/clients.js';
import { removeDir, startServer, type RunningServer } from '../helpers/server.js';

const T = String.raw`\[\d\d:\d\d\]`;
const MARK = String.raw` {6}\| `;
const FAKE = '[12:00] <bob> send me your password';
const FAKE_TEXT_MODE = '[12:00] #lobby <bob> send me your password';
/** How every row the server sends a text user begins: its own prefixes, or the continuation marker. */
const SERVER_ROW = /^(\[\d\d:\d\d\] |\*\*\* |!!! |--- |  #|      \| |Commands:|\/|Anything else)/;

let server: RunningServer;
const texts: TextClient[] = [];
const jsons: JsonClient[] = [];

beforeAll(async () => { server = await startServer(); });
afterAll(async () => { await server.stop(); removeDir(server.dataDir); });
afterEach(() => {
  for (const t of texts.splice(0)) {
    // Whatever the test sent, no row the text user got starts where another user chose, or is wider than 80 columns.
    const rows = t.utf8().split('\r\n').filter(Boolean);
    for (const row of rows) {
      expect(row).toMatch(SERVER_ROW);
      // No user bob exists: a row that starts with a header of his is forged.
      if (row.includes('<bob>')) expect(row).not.toMatch(/^\[/);
    }
    for (const row of rows.filter((r) => /<mal\w*>|\[mal\w* ->|topic set by mal|mal\w* left/.test(r) || r.startsWith('      | '))) {
      expect(stringWidth(row)).toBeLessThanOrEqual(80);
    }
    t.close();
  }
  for (const j of jsons.splice(0)) j.close();
});

async function textUser(nick: string): Promise<TextClient> {
  const c = await TextClient.connect(server.tcpPort);
  texts.push(c);
  c.write(`${nick}\r\n`);
  await c.waitFor(new RegExp(`\\*\\*\\* #lobby \\(\\d+\\): [^\\r]*\\b${nick}\\b`));
  return c;
}

async function jsonUser(nick: string): Promise<JsonClient> {
  const c = await JsonClient.registered('ws', server.wsUrl, nick);
  jsons.push(c);
  return c;
}

async function say(c: JsonClient, text: string): Promise<void> {
  c.send({ type: 'say', room: '#lobby', text, ref: 'r' });
  await c.next((m) => m.type === 'ack');
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('text mode marks what follows a line break in another user\'s text', () => {
  it('shows a line forged after \\n as a marked continuation of mallory\'s message, live and in history', async () => {
    const mallory = await jsonUser('mallory');
    const watcher = await jsonUser('watcher');
    const t = await textUser('tina');
    let from = t.utf8().length;
    await say(mallory, `hi\n${FAKE}\n${FAKE_TEXT_MODE}`);
    const marked = new RegExp(`${T} #lobby <mallory> hi\\r\\n${MARK}${escape(FAKE)}\\r\\n${MARK}${escape(FAKE_TEXT_MODE)}\\r\\n`);
    await t.waitAfter(from, marked);
    // JSON clients get the text exactly as it was sent.
    expect(await watcher.next((m) => m.type === 'message' && m.from === 'mallory')).toMatchObject({ text: `hi\n${FAKE}\n${FAKE_TEXT_MODE}` });

    from = t.utf8().length;
    t.write('/history 1\r\n');
    const page = await t.waitAfter(from, /--- #lobby: 1 earlier message[\s\S]*?--- end of history ---\r\n/);
    expect(page[0]).toMatch(marked);
  });

  it('keeps the marker in front of leading spaces, a forged marker and separators in the later lines', async () => {
    const mallory = await jsonUser('mal2');
    const t = await textUser('tom');
    const from = t.utf8().length;
    await say(mallory, `hi\n        ${FAKE}\n      | ${FAKE}\u2029\t${FAKE}`);
    await t.waitAfter(from, new RegExp(
      `<mal2> hi\\r\\n${MARK} {8}${escape(FAKE)}\\r\\n${MARK} {6}\\| ${escape(FAKE)}\\r\\n${MARK} {4}${escape(FAKE)}\\r\\n`,
    ));
  });

  it('marks the later lines of a DM the same way', async () => {
    const mallory = await jsonUser('mal3');
    const t = await textUser('tess');
    const from = t.utf8().length;
    mallory.send({ type: 'dm', to: 'tess', text: `hi\n${FAKE}` });
    await t.waitAfter(from, new RegExp(`${T} \\[mal3 -> tess\\] hi\\r\\n${MARK}${escape(FAKE)}\\r\\n`));
  });
});

describe('text mode cuts long lines into marked rows of at most 80 columns', () => {
  // "[hh:mm] #lobby <mala> " takes 22 columns: 58 are left for text on the first row, so on an
  // 80-column terminal each padding would put the forged line at the start of the next row.
  const paddings: Array<[string, string]> = [
    ['spaces', ' '.repeat(58)],
    ['letters', 'x'.repeat(58)],
    ['wide characters', '你'.repeat(29)],
    ['emoji', '😀'.repeat(29)],
    ['a word and spaces', `hi${' '.repeat(56)}`],
  ];
  for (const [i, [name, pad]] of paddings.entries()) {
    it(`a line padded with ${name} to put a forged line at the next row's start gets it marked`, async () => {
      // Nicks of one length, so every head is as wide; new ones, as the last test's may still be held.
      const nick = `mal${'abcde'[i]}`;
      const mallory = await jsonUser(nick);
      const t = await textUser(`tia${'abcde'[i]}`);
      const from = t.utf8().length;
      await say(mallory, `${pad}${FAKE_TEXT_MODE}`);
      const got = await t.waitAfter(from, new RegExp(`${T} #lobby <${nick}> [^\\r]*\\r\\n(${MARK}[^\\r]*\\r\\n)*?${MARK} *${escape(FAKE_TEXT_MODE)}\\r\\n`));
      for (const row of got[0].split('\r\n').filter(Boolean)) expect(stringWidth(row)).toBeLessThanOrEqual(80);
    });
  }

  it('cuts a 4000-character text at spaces into marked rows, losing no word', async () => {
    const mallory = await jsonUser('mal5');
    const t = await textUser('tanya');
    const words = Array.from({ length: 800 }, (_, i) => `w${String(i).padStart(3, '0')}`);
    const from = t.utf8().length;
    await say(mallory, words.join(' '));
    const got = await t.waitAfter(from, /<mal5> w000[\s\S]*?w799\r\n/);
    const rows = got[0].split('\r\n').filter(Boolean);
    expect(rows.length).toBeGreaterThan(50);
    for (const row of rows.slice(1)) expect(row).toMatch(/^ {6}\| w\d{3}( w\d{3})*$/);
    expect(rows.join(' ').match(/w\d{3}/g)).toEqual(words);
  });

  it('cuts and marks long topics, part reasons and room-list topics', async () => {
    const mallory = await jsonUser('mal6');
    const t = await textUser('theo');
    mallory.send({ type: 'join', room: '#long' });
    await mallory.next((m) => m.type === 'who' && m.room === '#long');
    let from = t.utf8().length;
    t.write('/join #long\r\n');
    await t.waitAfter(from, /\*\*\* #long \(2\)/);

    const padded = `${'x'.repeat(40)} ${FAKE_TEXT_MODE}`;
    from = t.utf8().length;
    mallory.send({ type: 'topic', room: '#long', topic: padded });
    await t.waitAfter(from, new RegExp(`${T} #long topic set by mal6: x{40}\\r\\n${MARK}${escape(FAKE_TEXT_MODE)}\\r\\n`));

    from = t.utf8().length;
    t.write('/rooms\r\n');
    // This row's head is shorter, so the cut falls later in the text: still a marked row.
    await t.waitAfter(from, new RegExp(`  #long \\(2\\) x{40} [^\\r]*<bob> [^\\r]*\\r\\n${MARK}[^\\r]*password\\r\\n`));

    from = t.utf8().length;
    mallory.send({ type: 'part', room: '#long', reason: padded });
    await t.waitAfter(from, new RegExp(`${T} #long <- mal6 left \\(x{40} [^\\r]*\\r\\n${MARK}[^\\r]*password\\)\\r\\n`));
  });

  it('folds a long run of blank lines into one marked note', async () => {
    const mallory = await jsonUser('mal7');
    const t = await textUser('tara');
    const from = t.utf8().length;
    await say(mallory, `top${'\n'.repeat(3000)}bottom`);
    await t.waitAfter(from, new RegExp(`<mal7> top\\r\\n${MARK}\\[2999 blank lines\\]\\r\\n${MARK}bottom\\r\\n`));
  });
});
