/**
 * `search` end to end on one node (SQLite): over WebSocket and TCP JSON and in text mode, against the
 * real server with real sockets and a real database file. Pages back like history; follows history's
 * privacy (members, public rooms, secret and invite-only rooms that look empty, keyed rooms and bans that
 * refuse); what a user types is searched for as text; every refusal carries the request's ref and the
 * connection keeps working.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage, ServerMessage } from '../../shared/protocol.js';
import { JsonClient, TextClient } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/in-process.js';
import { removeDir } from '../helpers/server.js';

const PASSWORD = 'correct horse';

let server: InProcessServer;
const clients: JsonClient[] = [];
const texts: TextClient[] = [];
let address = 10;

beforeAll(async () => { server = await startInProcess({ args: ['--limit-exempt', '', '--rate-limit', '0'] }); });
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const t of texts.splice(0)) t.close();
});
afterAll(async () => { await server.server.stop(); removeDir(server.dataDir); });

/** A TCP JSON user from its own loopback address (bans go by address); `register` makes it an account. */
async function user(nick: string, register = false): Promise<JsonClient> {
  const c = await JsonClient.from(server.tcpPort, `127.0.4.${address++}`, nick);
  clients.push(c);
  if (register) {
    c.send({ type: 'register', password: PASSWORD });
    await c.next('account');
  }
  return c;
}

async function wsUser(nick: string): Promise<JsonClient> {
  const c = await JsonClient.registered('ws', server.wsUrl, nick);
  clients.push(c);
  return c;
}

async function say(c: JsonClient, room: string, ...lines: string[]): Promise<void> {
  for (const [i, text] of lines.entries()) c.send({ type: 'say', room, text, ref: `say${i}` });
  await c.next((m) => m.type === 'ack' && m.ref === `say${lines.length - 1}`);
}

let refs = 0;
/** Sends `message` with a fresh ref and takes the answer that carries it (a search, or an error). */
async function ask(c: JsonClient, message: Record<string, unknown>): Promise<ServerMessage> {
  const ref = `q${refs++}`;
  c.send({ ...message, ref });
  const answer = await c.next((m) => 'ref' in m && m.ref === ref);
  expect(answer.type === 'search' || answer.type === 'error' || answer.type === 'notice' || answer.type === 'bans').toBe(true);
  return answer;
}

const texts_ = (m: ServerMessage): string[] => (m.type === 'search' ? m.messages.map((x) => x.text) : []);

describe('search over JSON', () => {
  it('answers over WebSocket and TCP with the newest matches, oldest first, as history gives them, and the ref', async () => {
    const ann = await wsUser('Ann');
    const bob = await user('Bob');
    await ann.join('#Ops');
    await say(ann, '#Ops', 'Deploy FAILED on node 3', 'lunch?', 'the deploy worked', 'deployment is not deploy', '/me deploys');
    ann.send({ type: 'say', room: '#Ops', text: 'waves at the deploy', action: true, ref: 'act' });
    await ann.next((m) => m.type === 'ack' && m.ref === 'act');

    const viaWs = await ask(ann, { type: 'search', room: '#ops', query: 'deploy' });
    expect(viaWs).toMatchObject({ type: 'search', room: '#ops', query: 'deploy', more: false });
    expect(texts_(viaWs)).toEqual(['Deploy FAILED on node 3', 'the deploy worked', 'deployment is not deploy', 'waves at the deploy']);
    const [first] = (viaWs as { messages: ChatMessage[] }).messages;
    ann.send({ type: 'history', room: '#Ops', limit: 10 });
    const history = await ann.next((m) => m.type === 'history' && m.room === '#Ops');
    expect(history.type === 'history' && history.messages[0]).toEqual(first);
    expect((viaWs as { messages: ChatMessage[] }).messages.at(-1)).toMatchObject({ action: true, from: 'Ann' });

    // An outsider of a public room searches it too, over TCP; every word must be there, in any order.
    const viaTcp = await ask(bob, { type: 'search', room: '#OPS', query: 'failed   DEPLOY' });
    expect(viaTcp).toMatchObject({ type: 'search', room: '#OPS', query: 'failed   DEPLOY', more: false });
    expect(texts_(viaTcp)).toEqual(['Deploy FAILED on node 3']);
    expect(texts_(await ask(bob, { type: 'search', room: '#ops', query: 'nothing like it' }))).toEqual([]);
    expect(texts_(await ask(bob, { type: 'search', room: '#never-used', query: 'deploy' }))).toEqual([]);
  });

  it('pages back with before and limit until more is false', async () => {
    const pat = await user('Pat');
    await pat.join('#pages');
    await say(pat, '#pages', ...Array.from({ length: 9 }, (_, i) => (i % 3 === 2 ? `miss ${i + 1}` : `hit ${i + 1}`)));
    const seen: string[] = [];
    let before: number | undefined;
    const pages: boolean[] = [];
    for (;;) {
      const page = await ask(pat, { type: 'search', room: '#pages', query: 'HIT', limit: 2, ...(before ? { before } : {}) });
      if (page.type !== 'search') throw new Error(JSON.stringify(page));
      seen.unshift(...page.messages.map((m) => m.text));
      pages.push(page.more);
      if (!page.more) break;
      before = page.messages[0]!.seq;
    }
    expect(seen).toEqual(['hit 1', 'hit 2', 'hit 4', 'hit 5', 'hit 7', 'hit 8']);
    expect(pages).toEqual([true, true, false]);
    expect(texts_(await ask(pat, { type: 'search', room: '#pages', query: 'hit' }))).toHaveLength(6);
  });

  it('searches for what is typed, as text: quotes, operators and accents', async () => {
    const eve = await user('Eve');
    await eve.join('#q');
    await say(eve, '#q', 'alpha', 'beta', 'alpha OR beta', 'near alpha beta', 'xylophone', 'Crème BRÛLÉE', 'naïve café', 'résumé-writing', '日本語 text');
    const search = async (query: string) => texts_(await ask(eve, { type: 'search', room: '#q', query }));
    expect(await search('alpha" OR "beta')).toEqual(['alpha OR beta']);
    expect(await search('alpha OR beta')).toEqual(['alpha OR beta']);
    expect(await search('NEAR(alpha beta)')).toEqual(['near alpha beta']);
    expect(await search('x*')).toEqual([]);
    expect(await search('-alpha')).toEqual(['alpha', 'alpha OR beta', 'near alpha beta']);
    expect(await search('"beta" *')).toEqual(['beta', 'alpha OR beta', 'near alpha beta']);
    expect(await search('text:alpha')).toEqual([]);
    expect(await search('creme brulee')).toEqual(['Crème BRÛLÉE']);
    expect(await search('NAIVE CAFÉ')).toEqual(['naïve café']);
    expect(await search('resume writing')).toEqual(['résumé-writing']);
    expect(await search('日本語')).toEqual(['日本語 text']);
  });

  it('refuses a query with no word, too many words or a control character, with the ref, and keeps the connection', async () => {
    const kim = await user('Kim');
    const cases: [string, string][] = [
      ['* - " ( )', 'query must hold at least one word (letters or digits)'],
      ['', 'query must hold at least one word (letters or digits)'],
      [Array.from({ length: 17 }, (_, i) => `w${i}`).join(' '), 'query holds 17 words; at most 16 are searched for at once'],
      ['tab\there', 'query contains control characters'],
      ['q'.repeat(201), 'query is longer than 200 characters'],
    ];
    for (const [query, message] of cases) {
      expect(await ask(kim, { type: 'search', room: '#lobby', query })).toMatchObject({ type: 'error', code: 'TEXT_INVALID', message });
    }
    expect(await ask(kim, { type: 'search', room: '#lobby', query: 'x', limit: 0 })).toMatchObject({ code: 'BAD_MESSAGE' });
    expect(await ask(kim, { type: 'search', room: 'bad room', query: 'x' })).toMatchObject({ code: 'ROOM_INVALID' });
    expect(await ask(kim, { type: 'search', room: '#lobby', query: 'still fine' })).toMatchObject({ type: 'search', messages: [] });
  });
});

describe('search follows the privacy of history', () => {
  it('a secret or invite-only room looks empty to outsiders; a keyed room refuses them; members find its messages', async () => {
    const owner = await user('Sage', true);
    await owner.join('#hush');
    await owner.join('#club');
    await owner.join('#keyed');
    for (const room of ['#hush', '#club', '#keyed']) await say(owner, room, `secret plans in ${room}`);
    await ask(owner, { type: 'settings', room: '#hush', secret: true });
    await ask(owner, { type: 'settings', room: '#club', inviteOnly: true });
    await ask(owner, { type: 'settings', room: '#keyed', key: 'sesame' });

    const nosy = await user('Nosy');
    for (const room of ['#hush', '#club']) {
      expect(await ask(nosy, { type: 'search', room, query: 'secret plans' })).toMatchObject({ type: 'search', room, messages: [], more: false });
      expect(texts_(await ask(owner, { type: 'search', room, query: 'secret plans' }))).toEqual([`secret plans in ${room}`]);
    }
    expect(await ask(nosy, { type: 'search', room: '#keyed', query: 'secret' })).toMatchObject({ type: 'error', code: 'NOT_IN_ROOM', message: 'join #keyed to read it' });
    expect(await nosy.join('#keyed', 'sesame')).toMatchObject({ type: 'who' });
    expect(texts_(await ask(nosy, { type: 'search', room: '#keyed', query: 'secret' }))).toEqual(['secret plans in #keyed']);
  });

  it('a user banned from a public room may not search it', async () => {
    const owner = await user('Warden', true);
    const pest = await user('Pest');
    await owner.join('#yard');
    await say(owner, '#yard', 'open words');
    expect(texts_(await ask(pest, { type: 'search', room: '#yard', query: 'words' }))).toEqual(['open words']);
    await ask(owner, { type: 'ban', room: '#yard', mask: 'Pest' });
    expect(await ask(pest, { type: 'search', room: '#yard', query: 'words' })).toMatchObject({ type: 'error', code: 'NOT_IN_ROOM', message: 'you are banned from #yard' });
    expect(await ask(pest, { type: 'history', room: '#yard' })).toMatchObject({ code: 'NOT_IN_ROOM' });
    // The room is still public to everyone else.
    const passer = await user('Passer');
    expect(texts_(await ask(passer, { type: 'search', room: '#yard', query: 'words' }))).toEqual(['open words']);
  });
});

describe('search in text mode', () => {
  it('/search shows the matches with their day and time, and the line to type for older ones', async () => {
    const poster = await user('Poster');
    await poster.join('#text');
    await say(poster, '#text', ...Array.from({ length: 60 }, (_, i) => `needle ${i + 1}`), 'haystack');
    const t = await TextClient.connect(server.tcpPort, { localAddress: `127.0.4.${address++}` });
    texts.push(t);
    t.write('Reader\r\n');
    await t.waitFor(/\*\*\* #lobby \(\d+\): [^\r]*Reader/);
    let from = t.utf8().length;
    t.write('/search #text NEEDLE\r\n');
    await t.waitAfter(from, /--- older matches: [^\r]+ ---\r\n/);
    const page = t.utf8().slice(from);
    expect(page).toMatch(/--- #text: 50 message\(s\) matching "NEEDLE" ---\r\n/);
    expect(page).toMatch(/\[\d{4}-\d\d-\d\d \d\d:\d\d\] #text <Poster> needle 11\r\n/);
    expect(page).not.toMatch(/needle 10\r\n/);
    const more = /--- older matches: (\/search #text before:(\d+) NEEDLE) ---/.exec(page)!;
    expect(Number(more[2])).toBeGreaterThan(1);
    from = t.utf8().length;
    t.write(`${more[1]}\r\n`);
    await t.waitAfter(from, /--- end of matches ---\r\n/);
    const older = t.utf8().slice(from);
    expect(older).toMatch(/--- #text: 10 message\(s\) matching "NEEDLE" ---/);
    expect(older).toMatch(/<Poster> needle 1\r\n[^]*<Poster> needle 10\r\n--- end of matches ---/);
    from = t.utf8().length;
    t.write('/search #text nothing here\r\n');
    await t.waitAfter(from, /\*\*\* #text: no message matches "nothing here"\r\n/);
    from = t.utf8().length;
    t.write('/search #text ***\r\n');
    await t.waitAfter(from, /!!! TEXT_INVALID: query must hold at least one word \(letters or digits\)\r\n/);
  });
});

describe('a search whose read fails', () => {
  it('gets INTERNAL saying why, with its ref, while the history reader is down', async () => {
    const s = await startInProcess({ internal: { readerRestartMinMs: 60_000 } });
    try {
      const c = await JsonClient.registered('ws', s.wsUrl, 'Unlucky');
      await say(c, '#lobby', 'findable');
      c.send({ type: 'search', room: '#lobby', query: 'findable', ref: 'ok' });
      expect(await c.next('search')).toMatchObject({ ref: 'ok', messages: [{ text: 'findable' }] });
      await s.server.faults.killHistoryReader();
      c.send({ type: 'search', room: '#lobby', query: 'findable', ref: 'down' });
      expect(await c.error('INTERNAL')).toMatchObject({ ref: 'down', message: 'the history reader is down and restarting' });
      c.send({ type: 'ping', ref: 'alive' });
      expect(await c.next('pong')).toMatchObject({ ref: 'alive' });
      c.close();
    } finally {
      await s.server.stop();
      removeDir(s.dataDir);
    }
  });
});
