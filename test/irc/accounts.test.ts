/**
 * account-tag, account-notify and extended-join on the IRC port, against a real server with JSON users
 * beside the IRC ones: each capability on and off (the lines differ only where it says), for members
 * logged in and guests, live, in a JOIN's history replay and in CHATHISTORY.
 *
 * Members without a capability join before those with it: all share one encoded line per variant, and a
 * variant keyed too loosely would hand the later ones the first one's bytes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ParsedMessage } from '../../server/irc/message.js';
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
  if (caps) await c.requestCaps(caps);
  return c;
}

async function guest(nick: string): Promise<JsonClient> {
  const c = await JsonClient.registered('ws', server.wsUrl, nick);
  open.push(c);
  c.send({ type: 'part', room: '#lobby' });
  await c.next('left');
  return c;
}

/** A JSON user logged in to the account of its nick (registered now), in no room. */
async function member(nick: string): Promise<JsonClient> {
  const c = await guest(nick);
  c.send({ type: 'register', password: PASSWORD, ref: 'reg' });
  await c.next('account');
  return c;
}

/** An account registered by a JSON client that then leaves, for an IRC client to log in to. */
async function account(name: string): Promise<void> {
  const c = await member(name);
  c.close();
  await c.closedPromise;
}

/** The lines from `nick` among `lines`, as [tags, verb, ...params]. */
function from(nick: string, lines: readonly ParsedMessage[]): [Record<string, string>, string, ...string[]][] {
  return lines.filter((m) => m.source?.startsWith(`${nick}!`)).map((m) => [Object.fromEntries(m.tags), m.verb, ...m.params]);
}

describe('CAP LS', () => {
  it('offers account-tag, account-notify and extended-join', async () => {
    const raw = await IrcClient.connect(port);
    open.push(raw);
    raw.send('CAP LS 302');
    const ls = await raw.next('CAP');
    expect(ls.params[2]!.split(' ')).toEqual(expect.arrayContaining(['account-tag', 'account-notify', 'extended-join']));
  });
});

describe('account-tag', () => {
  it("tags a logged-in sender's PRIVMSG, DM and JOIN with account=; a guest's carry none; without the cap, no tag", async () => {
    const plain = await irc('plainP');
    const tagged = await irc('taggedT', 'account-tag');
    const ann = await member('AnnA');
    const gus = await guest('GusG');
    for (const c of [plain, tagged]) await c.join('#tags');
    await ann.join('#tags');
    await gus.join('#tags');
    ann.send({ type: 'say', room: '#tags', text: 'signed' });
    await ann.next('message');
    gus.send({ type: 'say', room: '#tags', text: 'unsigned' });
    await gus.next((m) => m.type === 'message' && m.from === 'GusG');
    ann.send({ type: 'dm', to: 'taggedT', text: 'direct', ref: 'd1' });
    await ann.next('dm');
    ann.send({ type: 'dm', to: 'plainP', text: 'direct', ref: 'd2' });
    await ann.next('dm');

    const seenTagged = await tagged.sync();
    expect(from('AnnA', seenTagged)).toEqual([
      [{ account: 'AnnA' }, 'JOIN', '#tags'],
      [{ account: 'AnnA' }, 'PRIVMSG', '#tags', 'signed'],
      [{ account: 'AnnA' }, 'PRIVMSG', 'taggedT', 'direct'],
    ]);
    expect(from('GusG', seenTagged)).toEqual([[{}, 'JOIN', '#tags'], [{}, 'PRIVMSG', '#tags', 'unsigned']]);
    const seenPlain = await plain.sync();
    expect(from('AnnA', seenPlain)).toEqual([[{}, 'JOIN', '#tags'], [{}, 'PRIVMSG', '#tags', 'signed'], [{}, 'PRIVMSG', 'plainP', 'direct']]);
    expect(from('GusG', seenPlain)).toEqual([[{}, 'JOIN', '#tags'], [{}, 'PRIVMSG', '#tags', 'unsigned']]);
  });

  it('beside server-time and msgid, on every line of a split message, and on the echo of an IRC user logged in with PASS', async () => {
    await account('IrcAcc');
    const watcher = await irc('watchW', 'account-tag server-time message-tags');
    const me = await irc('IrcAcc', 'account-tag echo-message', PASSWORD);
    await watcher.join('#split');
    await me.join('#split');
    me.send('PRIVMSG #split :one');
    expect(await me.next('PRIVMSG')).toMatchObject({ tags: new Map([['account', 'IrcAcc']]), params: ['#split', 'one'] });
    const got = await watcher.next('PRIVMSG');
    expect(Object.fromEntries(got.tags)).toEqual({ account: 'IrcAcc', time: expect.any(String), msgid: expect.any(String) });

    const ann = await member('AnnSplit');
    await ann.join('#split');
    ann.send({ type: 'say', room: '#split', text: 'first\nsecond' });
    const lines = [await watcher.next('PRIVMSG'), await watcher.next('PRIVMSG')];
    expect(lines.map((m) => m.params[1])).toEqual(['first', 'second']);
    expect(lines.map((m) => m.tags.get('account'))).toEqual(['AnnSplit', 'AnnSplit']);
    expect(lines.map((m) => m.tags.has('msgid'))).toEqual([true, false]);
  });

  it('history replayed on JOIN and CHATHISTORY carry the account of senders who were logged in', async () => {
    const ann = await member('AnnHist');
    const gus = await guest('GusHist');
    await ann.join('#past');
    await gus.join('#past');
    ann.send({ type: 'say', room: '#past', text: 'logged in' });
    await ann.next('message');
    gus.send({ type: 'say', room: '#past', text: 'a guest' });
    await gus.next((m) => m.type === 'message' && m.from === 'GusHist');

    const replayed = await irc('replayR', 'server-time batch account-tag');
    await replayed.join('#past');
    const replay = (await replayed.sync()).filter((m) => m.verb === 'PRIVMSG');
    expect(replay.map((m) => [m.params[1], m.tags.get('account')])).toEqual([['logged in', 'AnnHist'], ['a guest', undefined]]);

    const without = await irc('noTagR', 'server-time batch');
    await without.join('#past');
    expect((await without.sync()).filter((m) => m.verb === 'PRIVMSG').map((m) => m.tags.has('account'))).toEqual([false, false]);

    const asker = await irc('askerR', 'draft/chathistory batch account-tag');
    await asker.join('#past');
    asker.send('CHATHISTORY LATEST #past * 10');
    const page = (await asker.sync()).filter((m) => m.verb === 'PRIVMSG');
    expect(page.map((m) => [m.params[1], m.tags.get('account')])).toEqual([['logged in', 'AnnHist'], ['a guest', undefined]]);
  });
});

describe('extended-join', () => {
  it('JOIN #room <account or *> :<real name>, for others and for ourselves; without it, JOIN #room', async () => {
    await account('IrcExt');
    const plain = await irc('plainX');
    const ext = await irc('extX', 'extended-join');
    for (const c of [plain, ext]) await c.join('#ext');
    const ann = await member('AnnX');
    await ann.join('#ext');
    const gus = await guest('GusX');
    await gus.join('#ext');
    const me = await irc('IrcExt', 'extended-join', PASSWORD);
    me.send('JOIN #ext');
    expect(await me.next('JOIN')).toMatchObject({ source: 'IrcExt!~u@chat', params: ['#ext', 'IrcExt', 'IrcExt'] });

    const seenExt = await ext.sync();
    expect(from('AnnX', seenExt)).toEqual([[{}, 'JOIN', '#ext', 'AnnX', 'AnnX']]);
    expect(from('GusX', seenExt)).toEqual([[{}, 'JOIN', '#ext', '*', 'GusX']]);
    expect(from('IrcExt', seenExt)).toEqual([[{}, 'JOIN', '#ext', 'IrcExt', 'IrcExt']]);
    const seenPlain = await plain.sync();
    expect([...from('AnnX', seenPlain), ...from('GusX', seenPlain), ...from('IrcExt', seenPlain)]).toEqual([
      [{}, 'JOIN', '#ext'], [{}, 'JOIN', '#ext'], [{}, 'JOIN', '#ext'],
    ]);
  });
});

describe('account-notify', () => {
  it('a guest identifying is NICK then ACCOUNT <name>; dropping the account is ACCOUNT *; without the cap, nothing', async () => {
    await account('Idento');
    const plain = await irc('plainN');
    const notified = await irc('notifyN', 'account-notify');
    for (const c of [plain, notified]) await c.join('#notify');
    const ida = await guest('idGuest');
    await ida.join('#notify');
    await notified.sync();
    await plain.sync();

    ida.send({ type: 'identify', account: 'idento', password: PASSWORD, ref: 'i' });
    await ida.next('account');
    expect(await notified.next('NICK')).toMatchObject({ source: 'idGuest!~u@chat', params: ['Idento'] });
    expect(await notified.next('ACCOUNT')).toMatchObject({ source: 'Idento!~u@chat', params: ['Idento'] });
    ida.send({ type: 'drop', password: PASSWORD, ref: 'x' });
    await ida.next('account');
    expect(await notified.next('ACCOUNT')).toMatchObject({ source: 'Idento!~u@chat', params: ['*'] });
    expect(notified.lines.filter((l) => l.includes(' ACCOUNT '))).toEqual([':Idento!~u@chat ACCOUNT Idento', ':Idento!~u@chat ACCOUNT *']);

    const seenPlain = await plain.sync();
    expect(from('idGuest', seenPlain).map((l) => l[1])).toEqual(['NICK']);
    expect(from('Idento', seenPlain)).toEqual([]);
  });
});
