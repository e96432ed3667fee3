/**
 * AWAY, WHOIS and LUSERS on the IRC port, against a real server with JSON users beside the IRC ones:
 * 305/306, 301 to a PRIVMSG sender, WHO's H/G, away-notify, the WHOIS numerics and their errors, and the
 * LUSERS counts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IrcClient } from '../helpers/irc-client.js';
import { JsonClient } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/in-process.js';
import { removeDir } from '../helpers/server.js';

const PASSWORD = 'correct horse';

let server: InProcessServer;
let port: number;
const open: { close(): void }[] = [];

beforeAll(async () => {
  server = await startInProcess({ args: ['--irc-port', '0', '--limit-exempt', '127.0.0.1'] });
  port = server.server.ircPort!;
});
afterEach(() => { for (const c of open.splice(0)) c.close(); });
afterAll(async () => {
  await server.server.stop();
  removeDir(server.dataDir);
});

async function irc(nick: string, caps?: string, pass?: string): Promise<IrcClient> {
  const c = await IrcClient.registered(port, nick, pass);
  open.push(c);
  if (caps) {
    await c.requestCaps(caps);
  }
  return c;
}

async function json(nick: string): Promise<JsonClient> {
  const c = await JsonClient.registered('ws', server.wsUrl, nick);
  open.push(c);
  return c;
}

describe('AWAY', () => {
  it('306 and 305 to the user; told to JSON members and to IRC members with away-notify only', async () => {
    const a = await irc('awayA');
    const notified = await irc('notifyN', 'away-notify');
    const plain = await irc('plainP');
    const w = await json('jsonJ');
    for (const c of [a, notified, plain]) await c.join('#away');
    await w.join('#away');

    a.send('AWAY :gone to lunch');
    expect(await a.next('306')).toMatchObject({ params: ['awayA', 'You have been marked as being away'] });
    expect(await w.next('away')).toEqual({ type: 'away', nick: 'awayA', reason: 'gone to lunch' });
    expect(await notified.next('AWAY')).toMatchObject({ source: 'awayA!~u@chat', params: ['gone to lunch'] });
    expect((await plain.sync()).filter((m) => m.verb === 'AWAY')).toEqual([]);

    a.send('AWAY');
    expect(await a.next('305')).toMatchObject({ params: ['awayA', 'You are no longer marked as being away'] });
    expect(await notified.next('AWAY')).toMatchObject({ source: 'awayA!~u@chat', params: [] });
    expect(await w.next((m) => m.type === 'away' && m.reason === undefined)).toEqual({ type: 'away', nick: 'awayA' });
    // An empty reason is back too.
    a.send('AWAY :');
    expect(await a.next('305')).toBeDefined();
  });

  it('a PRIVMSG to someone away gets 301; a NOTICE does not; back, no 301', async () => {
    const s = await irc('senderS', 'echo-message');
    const w = await json('busyB');
    w.send({ type: 'away', reason: 'do not disturb' });
    await w.next('away');
    s.send('PRIVMSG busyB :hello?');
    expect(await s.next('301')).toMatchObject({ params: ['senderS', 'busyB', 'do not disturb'] });
    expect(await s.next('PRIVMSG')).toMatchObject({ params: ['busyB', 'hello?'] });
    s.send('NOTICE busyB :fyi');
    expect((await s.sync()).filter((m) => m.verb === '301')).toEqual([]);
    // Without echo-message the 301 still comes.
    const quiet = await irc('quietQ');
    quiet.send('PRIVMSG busyb :again');
    expect(await quiet.next('301')).toMatchObject({ params: ['quietQ', 'busyB', 'do not disturb'] });
    w.send({ type: 'away' });
    await w.next('away');
    quiet.send('PRIVMSG busyB :now?');
    expect((await quiet.sync()).filter((m) => m.verb === '301')).toEqual([]);
  });

  it('WHO flags the away G and the others H', async () => {
    const g = await irc('goneG');
    const h = await irc('hereH');
    await g.join('#flags');
    await h.join('#flags');
    g.send('AWAY :brb');
    await g.next('306');
    h.send('WHO #flags');
    const replies = [await h.next('352'), await h.next('352')];
    await h.next('315');
    expect(Object.fromEntries(replies.map((r) => [r.params[5], r.params[6]]))).toEqual({ goneG: 'G', hereH: 'H' });
  });

  it('away-notify is offered; a joiner who is away sends its AWAY after its JOIN', async () => {
    const raw = await IrcClient.connect(port);
    open.push(raw);
    raw.send('CAP LS 302');
    const ls = await raw.next('CAP');
    expect(ls.params[2]!.split(' ')).toContain('away-notify');
    const watcher = await irc('watchW', 'away-notify');
    const plain = await irc('plainW');
    await watcher.join('#late');
    await plain.join('#late');
    const late = await json('lateL');
    late.send({ type: 'away', reason: 'not really here' });
    await late.next('away');
    await late.join('#late');
    const seen = (await watcher.sync()).filter((m) => m.source?.startsWith('lateL!'));
    expect(seen.map((m) => [m.verb, ...m.params])).toEqual([['JOIN', '#late'], ['AWAY', 'not really here']]);
    const plainSeen = (await plain.sync()).filter((m) => m.source?.startsWith('lateL!'));
    expect(plainSeen.map((m) => [m.verb, ...m.params])).toEqual([['JOIN', '#late']]);
  });

  it('strips formatting, cuts a reason past AWAYLEN, and advertises AWAYLEN', async () => {
    const raw = await IrcClient.connect(port);
    open.push(raw);
    raw.send('NICK lenL');
    raw.send('USER lenL 0 * :len');
    const tokens: string[] = [];
    for (;;) {
      const m = await raw.next((x) => x.verb === '005' || x.verb === '376' || x.verb === '422');
      if (m.verb !== '005') break;
      tokens.push(...m.params.slice(1, -1));
    }
    expect(tokens).toContain('AWAYLEN=300');
    const w = await json('seesS');
    raw.send(`AWAY :\x02bold\x02 ${'x'.repeat(400)}`);
    await raw.next('306');
    raw.send('WHOIS lenL');
    expect((await raw.next('301')).params[2]).toBe(`bold ${'x'.repeat(295)}`);
    w.send({ type: 'whois', nick: 'lenL' });
    expect(await w.next('whois')).toMatchObject({ away: `bold ${'x'.repeat(295)}` });
  });
});

describe('WHOIS', () => {
  it('311, 312, 330 for a logged-in user, 301 when away, 318; the nick as its holder spells it', async () => {
    const owner = await json('Acct');
    owner.send({ type: 'register', password: PASSWORD });
    await owner.next('account');
    owner.send({ type: 'away', reason: 'elsewhere' });
    await owner.next('away');
    const c = await irc('askerA');
    c.send('WHOIS acct');
    expect(await c.next('311')).toMatchObject({ params: ['askerA', 'Acct', '~u', 'chat', '*', 'Acct'] });
    expect(await c.next('312')).toMatchObject({ params: ['askerA', 'Acct', 'chat', 'chat'] });
    expect(await c.next('330')).toMatchObject({ params: ['askerA', 'Acct', 'Acct', 'is logged in as'] });
    expect(await c.next('301')).toMatchObject({ params: ['askerA', 'Acct', 'elsewhere'] });
    expect(await c.next('318')).toMatchObject({ params: ['askerA', 'acct', 'End of /WHOIS list'] });
    // A guest: no 330, no 301; `WHOIS server nick` asks about the nick.
    c.send('WHOIS chat askerA');
    const lines = await c.sync();
    expect(lines.map((m) => m.verb)).toEqual(['311', '312', '318']);
  });

  it('401 and 318 for a nick nobody holds or no rule allows; 461 without one; the connection goes on', async () => {
    const c = await irc('lostL');
    c.send('WHOIS nobodyHere');
    expect(await c.next('401')).toMatchObject({ params: ['lostL', 'nobodyHere', 'No such nick/channel'] });
    expect(await c.next('318')).toMatchObject({ params: ['lostL', 'nobodyHere', 'End of /WHOIS list'] });
    c.send('WHOIS 9bad');
    expect(await c.next('401')).toMatchObject({ params: ['lostL', '9bad', 'No such nick/channel'] });
    expect(await c.next('318')).toMatchObject({ params: ['lostL', '9bad', 'End of /WHOIS list'] });
    c.send('WHOIS');
    expect(await c.next('461')).toMatchObject({ params: ['lostL', 'WHOIS', 'Not enough parameters'] });
    c.send('WHOIS lostL,other');
    expect((await c.sync()).map((m) => m.verb)).toEqual(['311', '312', '318']);
  });

  it('with labeled-response, the whole answer comes in one labelled batch', async () => {
    const c = await irc('labelW', 'labeled-response batch');
    c.send('@label=w1 WHOIS labelW');
    const open = await c.next('BATCH');
    expect(open.tags.get('label')).toBe('w1');
    const id = open.params[0]!.slice(1);
    for (const code of ['311', '312', '318']) expect((await c.next(code)).tags.get('batch')).toBe(id);
    expect(await c.next('BATCH')).toMatchObject({ params: [`-${id}`] });
    c.send('@label=a1 AWAY :x');
    expect((await c.next('306')).tags.get('label')).toBe('a1');
  });
});

describe('LUSERS', () => {
  it('251, 252 with operators online, 254, 255, 265, 266 from what the server holds', async () => {
    const own = await startInProcess({ args: ['--irc-port', '0', '--limit-exempt', '127.0.0.1', '--operators', 'Boss'] });
    const clients: { close(): void }[] = [];
    try {
      const boss = await JsonClient.registered('ws', own.wsUrl, 'Boss');
      clients.push(boss);
      boss.send({ type: 'register', password: PASSWORD });
      await boss.next('account');
      const c = await IrcClient.registered(own.server.ircPort!, 'countC');
      clients.push(c);
      c.send('JOIN #counted');
      await c.next('366');
      await c.sync();
      c.send('LUSERS');
      const lines = await c.sync();
      expect(lines.map((m) => [m.verb, ...m.params.slice(1)])).toEqual([
        ['251', 'There are 2 users and 0 invisible on 1 servers'],
        ['252', '1', 'operator(s) online'],
        ['254', '2', 'channels formed'],
        ['255', 'I have 2 clients and 0 servers'],
        ['265', '2', '2', 'Current local users 2, max 2'],
        ['266', 'Current global users 2'],
      ]);
      // No operator online: no 252.
      boss.close();
      await boss.closedPromise;
      await expect.poll(async () => {
        c.send('LUSERS');
        return (await c.sync()).map((m) => m.verb);
      }).toEqual(['251', '254', '255', '265', '266']);
    } finally {
      for (const c of clients) c.close();
      await own.server.stop();
      removeDir(own.dataDir);
    }
  });
});
