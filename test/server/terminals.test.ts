/**
 * One account on several terminals at once: the same nick on each, one member in its rooms, and each
 * terminal receives everything the user does (room traffic, DMs sent and received, joins, renames),
 * while the answer to a request (an error, an ack, a page) goes to the terminal that asked. Over
 * WebSocket, TCP JSON and the text mode together.
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

async function guest(kind: 'ws' | 'tcp', nick: string): Promise<JsonClient> {
  const c = await JsonClient.registered(kind, kind === 'ws' ? server.wsUrl : server.tcpPort, nick);
  clients.push(c);
  return c;
}

/** A guest who registered its nick (the account's first terminal). */
async function account(kind: 'ws' | 'tcp', nick: string): Promise<JsonClient> {
  const c = await guest(kind, nick);
  c.send({ type: 'register', password: PASSWORD, ref: 'reg' });
  expect(await c.next('account')).toEqual({ type: 'account', account: nick, ref: 'reg' });
  return c;
}

/** Another terminal logging in to the account with hello; resolves with its welcome. */
async function terminal(kind: 'ws' | 'tcp', nick: string): Promise<{ c: JsonClient; welcome: ServerMessage }> {
  const c = kind === 'ws' ? await JsonClient.ws(server.wsUrl) : await JsonClient.tcp(server.tcpPort);
  clients.push(c);
  c.send({ type: 'hello', nick, password: PASSWORD, ref: 'h' });
  const welcome = await c.next((m) => m.type === 'welcome' || m.type === 'error');
  return { c, welcome };
}

/** Everything the server sent `c` before this has arrived: a ping's pong comes after it. */
async function settled(c: JsonClient): Promise<ServerMessage[]> {
  const ref = `s${Math.random()}`;
  c.send({ type: 'ping', ref });
  await c.next((m) => m.type === 'pong' && m.ref === ref);
  return c.received;
}

describe('one account on three terminals', () => {
  it('each terminal gets the nick, the rooms, every message and every DM; one member in who', async () => {
    const one = await account('ws', 'Ann');
    const bob = await guest('tcp', 'Bob');
    const { c: two, welcome } = await terminal('tcp', 'ann');
    expect(welcome).toMatchObject({ type: 'welcome', nick: 'Ann', account: 'Ann' });
    // It is told what the user is in, as a join would tell it.
    expect(await two.next('joined')).toMatchObject({ room: '#lobby', nick: 'Ann' });
    expect(await two.next('history')).toMatchObject({ room: '#lobby' });
    expect(await two.next('who')).toMatchObject({ room: '#lobby', users: expect.arrayContaining(['Ann', 'Bob']), total: 2 });

    const three = await TextClient.connect(server.tcpPort);
    clients.push(three);
    await three.waitFor(/Choose a nick: $/);
    three.write('Ann\r\n');
    await three.waitFor(/Password for Ann/);
    three.write(`${PASSWORD}\r\n`);
    await three.waitFor(/Welcome, Ann! You are logged in/);

    // Nobody saw a second Ann come in.
    expect((await settled(bob)).filter((m) => m.type === 'joined' && m.nick === 'Ann')).toEqual([]);
    bob.send({ type: 'who', room: '#lobby' });
    expect(await bob.next('who')).toMatchObject({ users: ['Ann', 'Bob'], total: 2 });

    // A join from one terminal puts every terminal in the room.
    expect(await two.join('#den')).toMatchObject({ type: 'who', users: ['Ann'] });
    expect(await one.next((m) => m.type === 'joined' && m.room === '#den')).toMatchObject({ nick: 'Ann' });
    expect(await one.next((m) => m.type === 'who' && m.room === '#den')).toMatchObject({ users: ['Ann'] });
    await three.waitFor(/#den -> Ann joined/);

    // A room message from bob reaches all three; one said by a terminal reaches the others, acked to it alone.
    expect(await bob.join('#den')).toMatchObject({ type: 'who', total: 2 });
    bob.send({ type: 'say', room: '#den', text: 'hello ann' });
    for (const c of [one, two]) expect(await c.next('message')).toMatchObject({ from: 'Bob', text: 'hello ann' });
    await three.waitFor(/#den <Bob> hello ann/);
    one.send({ type: 'say', room: '#den', text: 'hi from one', ref: 'm1' });
    expect(await one.next('ack')).toMatchObject({ ref: 'm1' });
    for (const c of [one, two, bob]) expect(await c.next((m) => m.type === 'message' && m.from === 'Ann')).toMatchObject({ text: 'hi from one' });
    await three.waitFor(/#den <Ann> hi from one/);
    expect((await settled(two)).filter((m) => m.type === 'ack')).toEqual([]);

    // DMs: received on every terminal; sent from one, shown on the others too (the ref to the sender only).
    bob.send({ type: 'dm', to: 'ann', text: 'psst' });
    for (const c of [one, two]) expect(await c.next('dm')).toMatchObject({ from: 'Bob', to: 'Ann', text: 'psst' });
    await three.waitFor(/\[Bob -> Ann\] psst/);
    two.send({ type: 'dm', to: 'Bob', text: 'back at you', ref: 'd1' });
    expect(await two.next('dm')).toMatchObject({ from: 'Ann', to: 'Bob', text: 'back at you', ref: 'd1' });
    expect(await bob.next((m) => m.type === 'dm' && m.from === 'Ann')).toMatchObject({ text: 'back at you' });
    const copy = await one.next('dm');
    expect(copy).toMatchObject({ from: 'Ann', to: 'Bob', text: 'back at you' });
    expect(copy).not.toHaveProperty('ref');
    await three.waitFor(/\[Ann -> Bob\] back at you/);

    // An error goes to the terminal that made it, not to the others.
    one.send({ type: 'part', room: '#nowhere', ref: 'p' });
    expect(await one.error('NOT_IN_ROOM')).toMatchObject({ ref: 'p' });
    expect((await settled(two)).filter((m) => m.type === 'error')).toEqual([]);

    // A rename from one terminal renames the user on all.
    two.send({ type: 'nick', nick: 'Annie' });
    for (const c of [one, two, bob]) expect(await c.next('nick')).toEqual({ type: 'nick', old: 'Ann', new: 'Annie' });
    await three.waitFor(/\*\*\* Ann is now known as Annie/);
    two.send({ type: 'nick', nick: 'Ann' });
    for (const c of [one, two, bob]) expect(await c.next('nick')).toEqual({ type: 'nick', old: 'Annie', new: 'Ann' });

    // One terminal quitting leaves the user in; the last one leaving takes it out.
    two.send({ type: 'quit' });
    await two.closedPromise;
    one.send({ type: 'say', room: '#den', text: 'still here', ref: 'm2' });
    expect(await bob.next((m) => m.type === 'message' && m.text === 'still here')).toMatchObject({ from: 'Ann' });
    expect((await settled(bob)).filter((m) => m.type === 'left')).toEqual([]);
    one.close();
    three.close();
    expect(await bob.next((m) => m.type === 'left' && m.room === '#den')).toMatchObject({ nick: 'Ann' });
  });

  it('away belongs to the user: every terminal is told, a new terminal learns it, a DM to it says so', async () => {
    const one = await account('ws', 'Gil');
    const { c: two } = await terminal('tcp', 'Gil');
    await two.next('who');
    const hank = await guest('ws', 'Hank');
    one.send({ type: 'away', reason: 'on the train', ref: 'a' });
    expect(await one.next('away')).toEqual({ type: 'away', nick: 'Gil', reason: 'on the train', ref: 'a' });
    expect(await two.next('away')).toEqual({ type: 'away', nick: 'Gil', reason: 'on the train' });
    expect(await hank.next('away')).toEqual({ type: 'away', nick: 'Gil', reason: 'on the train' });
    // One member, away once.
    hank.send({ type: 'who', room: '#lobby' });
    expect(await hank.next('who')).toMatchObject({ users: ['Gil', 'Hank'], away: ['Gil'] });
    // A third terminal logging in is told, after the rooms it is shown.
    const { c: three } = await terminal('ws', 'Gil');
    await three.next('who');
    expect(await three.next('away')).toEqual({ type: 'away', nick: 'Gil', reason: 'on the train' });
    hank.send({ type: 'dm', to: 'gil', text: 'ping', ref: 'd' });
    expect(await hank.next('dm')).toMatchObject({ to: 'Gil', ref: 'd', away: 'on the train' });
    for (const c of [one, two, three]) expect(await c.next('dm')).not.toHaveProperty('away');
    // Back from another terminal: every terminal is back.
    three.send({ type: 'away', ref: 'b' });
    expect(await three.next('away')).toEqual({ type: 'away', nick: 'Gil', ref: 'b' });
    for (const c of [one, two, hank]) expect(await c.next((m) => m.type === 'away' && m.reason === undefined)).toEqual({ type: 'away', nick: 'Gil' });
    // The user's last terminal gone, whoever takes the nick next is not away.
    for (const c of [one, two, three]) c.close();
    await expect.poll(async () => {
      hank.send({ type: 'whois', nick: 'Gil', ref: 'w' });
      return (await hank.next((m) => 'ref' in m && m.ref === 'w')).type;
    }).toBe('error');
  });

  it('two terminals joining one room at once are both answered', async () => {
    const one = await account('tcp', 'Cy');
    const { c: two } = await terminal('ws', 'Cy');
    await two.next('who');
    const [a, b] = await Promise.all([one.join('#both'), two.join('#both')]);
    expect(a).toMatchObject({ type: 'who', users: ['Cy'], total: 1 });
    expect(b).toMatchObject({ type: 'who', users: ['Cy'], total: 1 });
  });

  it('a login finds the account under the nick it goes by now: one more terminal, not a second user', async () => {
    const one = await account('ws', 'Fay');
    one.send({ type: 'nick', nick: 'FayAway' });
    expect(await one.next('nick')).toEqual({ type: 'nick', old: 'Fay', new: 'FayAway' });
    const { c: two, welcome } = await terminal('tcp', 'fay');
    expect(welcome).toMatchObject({ type: 'welcome', nick: 'FayAway', account: 'Fay' });
    const who = await two.next('who');
    expect(who).toMatchObject({ room: '#lobby' });
    expect(who.type === 'who' && who.users.filter((u) => u.startsWith('Fay'))).toEqual(['FayAway']);
  });

  it('a guest who identifies to an account connected here leaves as a guest and becomes one of its terminals', async () => {
    const one = await account('ws', 'Dee');
    const watcher = await guest('tcp', 'Wat');
    expect(await one.join('#dee')).toMatchObject({ type: 'who' });
    const g = await guest('tcp', 'Visitor');
    g.send({ type: 'identify', account: 'dee', password: PASSWORD, ref: 'i' });
    expect(await g.next('left')).toEqual({ type: 'left', room: '#lobby', nick: 'Visitor', reason: 'logged in as Dee' });
    expect(await g.next('nick')).toEqual({ type: 'nick', old: 'Visitor', new: 'Dee' });
    expect(await g.next((m) => m.type === 'joined' && m.room === '#dee')).toMatchObject({ nick: 'Dee' });
    expect(await g.next('account')).toEqual({ type: 'account', account: 'Dee', ref: 'i' });
    expect(await watcher.next((m) => m.type === 'left' && m.nick === 'Visitor')).toMatchObject({ reason: 'logged in as Dee' });
    // The account's first terminal is told nothing new about its own account.
    expect((await settled(one)).filter((m) => m.type === 'account' && m.ref === undefined)).toEqual([{ type: 'account', account: 'Dee' }]);
  });

  it('a wrong password attaches nothing; ghost closes every terminal of the account', async () => {
    const one = await account('tcp', 'Eve');
    const { c: two } = await terminal('tcp', 'Eve');
    await two.next('who');
    const stranger = await JsonClient.ws(server.wsUrl);
    clients.push(stranger);
    stranger.send({ type: 'hello', nick: 'Eve', password: 'wrong password', ref: 'w' });
    expect(await stranger.error('LOGIN_FAILED')).toMatchObject({ ref: 'w' });
    expect((await settled(one)).filter((m) => m.type === 'joined' && m.room === '#lobby')).toHaveLength(1);
    const taker = await guest('ws', 'Eve2');
    taker.send({ type: 'ghost', nick: 'Eve', password: PASSWORD, ref: 'g' });
    for (const c of [one, two]) expect(await c.next('bye')).toMatchObject({ reason: 'disconnected by Eve2 (ghost)' });
    expect(await taker.next('account')).toMatchObject({ account: 'Eve', ref: 'g' });
  });
});
