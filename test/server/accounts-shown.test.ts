/**
 * Whose account is whose, as JSON clients see it on one node: a logged-in sender's messages and DMs
 * carry its account (live, in history and in search, which reads the store), a joiner's `joined` and the
 * room's `who` carry members' accounts, and `login` tells those sharing a room when a user logs in or
 * out (a text-mode user reads it as a line); guests carry none, and nobody else is told.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../shared/protocol.js';
import { JsonClient, TextClient } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/in-process.js';
import { removeDir } from '../helpers/server.js';

const PASSWORD = 'correct horse';

let server: InProcessServer;
const clients: { close(): void }[] = [];

beforeAll(async () => { server = await startInProcess({ args: ['--limit-exempt', '127.0.0.1'] }); });
afterEach(() => { for (const c of clients.splice(0)) c.close(); });
afterAll(async () => {
  await server.server.stop();
  removeDir(server.dataDir);
});

async function guest(nick: string, kind: 'ws' | 'tcp' = 'ws'): Promise<JsonClient> {
  const c = await JsonClient.registered(kind, kind === 'ws' ? server.wsUrl : server.tcpPort, nick);
  clients.push(c);
  return c;
}

/** A guest who registered its nick, out of #lobby (so others there are not told). */
async function member(nick: string): Promise<JsonClient> {
  const c = await guest(nick);
  c.send({ type: 'part', room: '#lobby' });
  await c.next('left');
  c.send({ type: 'register', password: PASSWORD, ref: 'reg' });
  expect(await c.next('account')).toEqual({ type: 'account', account: nick, ref: 'reg' });
  return c;
}

/** Everything the server sent `c` before this has arrived: a ping's pong comes after it. */
async function settled(c: JsonClient): Promise<ServerMessage[]> {
  const ref = `s${Math.random()}`;
  c.send({ type: 'ping', ref });
  await c.next((m) => m.type === 'pong' && m.ref === ref);
  return c.received;
}

/** A text-mode (nc) user in `room`. */
async function text(nick: string, room: string): Promise<TextClient> {
  const t = await TextClient.connect(server.tcpPort);
  clients.push(t);
  await t.waitFor(/Choose a nick: $/);
  t.write(`${nick}\r\n`);
  await t.waitFor(/#lobby \(\d+\): /);
  t.write(`/join ${room}\r\n`);
  await t.waitFor(new RegExp(`\\*\\*\\* ${room} \\(\\d+\\): `));
  return t;
}

async function who(c: JsonClient, room: string): Promise<ServerMessage> {
  c.send({ type: 'who', room, ref: `w${room}` });
  return c.next((m) => m.type === 'who' && m.room === room);
}

describe('accounts shown to others', () => {
  it("a logged-in sender's messages and DMs carry its account; a guest's carry none", async () => {
    const ann = await member('Ann');
    const gus = await guest('Gus', 'tcp');
    expect(await ann.join('#shown')).toMatchObject({ type: 'who', users: ['Ann'], accounts: ['Ann'] });
    const joined = await gus.join('#shown');
    expect(joined).toMatchObject({ type: 'who', users: ['Ann', 'Gus'], accounts: ['Ann', null] });
    expect(await ann.next((m) => m.type === 'joined' && m.nick === 'Gus')).not.toHaveProperty('account');

    ann.send({ type: 'say', room: '#shown', text: 'signed' });
    expect(await gus.next('message')).toMatchObject({ from: 'Ann', text: 'signed', account: 'Ann' });
    gus.send({ type: 'say', room: '#shown', text: 'anonymous' });
    expect(await ann.next((m) => m.type === 'message' && m.from === 'Gus')).not.toHaveProperty('account');

    ann.send({ type: 'dm', to: 'gus', text: 'psst', ref: 'd' });
    expect(await gus.next('dm')).toMatchObject({ from: 'Ann', text: 'psst', account: 'Ann' });
    expect(await ann.next('dm')).toMatchObject({ ref: 'd', account: 'Ann' });
    gus.send({ type: 'dm', to: 'ann', text: 'hm' });
    expect(await ann.next((m) => m.type === 'dm' && m.from === 'Gus')).not.toHaveProperty('account');

    // Stored with it: a joiner's history, a history page and a search (read from the store) say it.
    const late = await guest('Late');
    late.send({ type: 'join', room: '#shown' });
    const history = await late.next((m) => m.type === 'history' && m.room === '#shown');
    expect(history.type === 'history' && history.messages.map((m) => [m.text, m.account])).toEqual([['signed', 'Ann'], ['anonymous', undefined]]);
    late.send({ type: 'history', room: '#shown', ref: 'h' });
    const page = await late.next((m) => m.type === 'history' && m.room === '#shown');
    expect(page.type === 'history' && page.messages.map((m) => m.account)).toEqual(['Ann', undefined]);
    late.send({ type: 'search', room: '#shown', query: 'signed', ref: 'q' });
    expect(await late.next('search')).toMatchObject({ messages: [{ text: 'signed', account: 'Ann' }] });
  });

  it('a joiner who is logged in says so in its joined', async () => {
    const gil = await guest('Gil');
    await gil.join('#joins');
    const bea = await member('Bea');
    expect(await bea.join('#joins')).toMatchObject({ users: ['Gil', 'Bea'], accounts: [null, 'Bea'] });
    expect(await gil.next((m) => m.type === 'joined' && m.nick === 'Bea' && m.room === '#joins')).toEqual({ type: 'joined', room: '#joins', nick: 'Bea', ts: expect.any(Number), account: 'Bea' });
  });

  it('identify, register and drop are told to those sharing a room as login; the user itself gets account; others nothing', async () => {
    const owner = await member('Ida');
    owner.close();
    const watcher = await guest('Wat');
    const far = await guest('Far');
    const ida = await guest('idaGuest');
    for (const c of [watcher, ida]) await c.join('#login');
    const nc = await text('ncUser', '#login');
    for (const c of [watcher, far, ida]) c.send({ type: 'part', room: '#lobby' });
    for (const c of [watcher, far, ida]) await c.next('left');

    ida.send({ type: 'identify', account: 'ida', password: PASSWORD, ref: 'i' });
    expect(await ida.next('account')).toEqual({ type: 'account', account: 'Ida', ref: 'i' });
    // The rename to the account's nick comes first, then the login under the new nick.
    expect(await watcher.next('nick')).toEqual({ type: 'nick', old: 'idaGuest', new: 'Ida' });
    expect(await watcher.next('login')).toEqual({ type: 'login', nick: 'Ida', account: 'Ida' });
    await nc.waitFor(/\*\*\* Ida is logged in as Ida\r\n/);
    expect(await who(watcher, '#login')).toMatchObject({ users: ['Wat', 'Ida', 'ncUser'], accounts: [null, 'Ida', null] });
    expect((await settled(ida)).filter((m) => m.type === 'login')).toEqual([]);
    expect((await settled(far)).filter((m) => m.type === 'login')).toEqual([]);

    ida.send({ type: 'drop', password: PASSWORD, ref: 'x' });
    expect(await ida.next('account')).toEqual({ type: 'account', ref: 'x' });
    expect(await watcher.next('login')).toEqual({ type: 'login', nick: 'Ida' });
    await nc.waitFor(/\*\*\* Ida logged out\r\n/);
    expect(await who(watcher, '#login')).not.toHaveProperty('accounts');
    ida.send({ type: 'say', room: '#login', text: 'a guest again' });
    expect(await watcher.next('message')).not.toHaveProperty('account');

    // Registering in a room tells it too.
    ida.send({ type: 'register', password: PASSWORD, ref: 'r' });
    await ida.next('account');
    expect(await watcher.next('login')).toEqual({ type: 'login', nick: 'Ida', account: 'Ida' });
  });
});

describe('the joined a user is sent about itself', () => {
  it('carries its account and role alike on a first join, a repeated join and a second terminal', async () => {
    const ann = await member('Roomy');
    ann.send({ type: 'join', room: '#own' });
    expect(await ann.next((m) => m.type === 'joined' && m.room === '#own')).toMatchObject({ account: 'Roomy' });
    // Its creator owns the room once the join is answered.
    expect(await ann.next((m) => m.type === 'role' && m.room === '#own')).toMatchObject({ nick: 'Roomy', role: 'op' });
    ann.send({ type: 'join', room: '#own' });
    expect(await ann.next((m) => m.type === 'joined' && m.room === '#own')).toEqual({ type: 'joined', room: '#own', nick: 'Roomy', ts: expect.any(Number), account: 'Roomy', role: 'op' });
    const two = await JsonClient.ws(server.wsUrl);
    clients.push(two);
    two.send({ type: 'hello', nick: 'Roomy', password: PASSWORD });
    expect(await two.next((m) => m.type === 'joined' && m.room === '#own')).toEqual({ type: 'joined', room: '#own', nick: 'Roomy', ts: expect.any(Number), account: 'Roomy', role: 'op' });
  });
});
