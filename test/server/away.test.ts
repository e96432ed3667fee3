/**
 * Away, whois and stats on one node, end to end over real sockets: the away text belongs to the user
 * (every terminal), shows in `who`, on joins and to whoever DMs it; `whois` names a nick's account and
 * away text; `stats` counts users and rooms. JSON clients and the text mode, every error answered.
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

async function user(nick: string, kind: 'ws' | 'tcp' = 'ws', on = server): Promise<JsonClient> {
  const c = await JsonClient.registered(kind, kind === 'ws' ? on.wsUrl : on.tcpPort, nick);
  clients.push(c);
  return c;
}

async function text(nick: string): Promise<TextClient> {
  const t = await TextClient.connect(server.tcpPort);
  clients.push(t);
  await t.waitFor(/Choose a nick: $/);
  t.write(`${nick}\r\n`);
  await t.waitFor(/#lobby \(\d+\): /);
  return t;
}

/** Everything the server sent `c` before this has arrived: a ping's pong comes after it. */
async function settled(c: JsonClient): Promise<ServerMessage[]> {
  const ref = `s${Math.random()}`;
  c.send({ type: 'ping', ref });
  await c.next((m) => m.type === 'pong' && m.ref === ref);
  return c.received;
}

async function who(c: JsonClient, room: string): Promise<ServerMessage> {
  c.send({ type: 'who', room, ref: `w${room}` });
  return c.next((m) => m.type === 'who' && m.room === room);
}

describe('away', () => {
  it('is told to the user and to those sharing a room, shown in who and whois, and to DM senders; then back', async () => {
    const ada = await user('Ada');
    const bo = await user('Bo', 'tcp');
    const far = await user('Far');
    far.send({ type: 'part', room: '#lobby' });
    await far.next('left');

    ada.send({ type: 'away', reason: 'at lunch', ref: 'a1' });
    expect(await ada.next('away')).toEqual({ type: 'away', nick: 'Ada', reason: 'at lunch', ref: 'a1' });
    expect(await bo.next('away')).toEqual({ type: 'away', nick: 'Ada', reason: 'at lunch' });
    // Someone sharing no room with Ada is not told.
    expect((await settled(far)).filter((m) => m.type === 'away')).toEqual([]);

    expect(await who(bo, '#lobby')).toMatchObject({ users: expect.arrayContaining(['Ada', 'Bo']), away: ['Ada'] });
    bo.send({ type: 'whois', nick: 'ADA', ref: 'i' });
    expect(await bo.next('whois')).toEqual({ type: 'whois', nick: 'Ada', away: 'at lunch', ref: 'i' });

    // A DM to Ada: the sender's copy says she is away; hers does not.
    far.send({ type: 'dm', to: 'ada', text: 'you there?', ref: 'd1' });
    expect(await far.next('dm')).toMatchObject({ from: 'Far', to: 'Ada', text: 'you there?', ref: 'd1', away: 'at lunch' });
    const got = await ada.next('dm');
    expect(got).toMatchObject({ from: 'Far', to: 'Ada', text: 'you there?' });
    expect(got).not.toHaveProperty('away');

    // A new reason replaces the old one.
    ada.send({ type: 'away', reason: 'in a meeting' });
    expect(await bo.next('away')).toEqual({ type: 'away', nick: 'Ada', reason: 'in a meeting' });

    // Back: told the same way, and gone from who, whois and DM copies.
    ada.send({ type: 'away', ref: 'a2' });
    expect(await ada.next((m) => m.type === 'away' && m.ref === 'a2')).toEqual({ type: 'away', nick: 'Ada', ref: 'a2' });
    expect(await bo.next((m) => m.type === 'away' && m.reason === undefined)).toEqual({ type: 'away', nick: 'Ada' });
    expect(await who(bo, '#lobby')).not.toHaveProperty('away');
    far.send({ type: 'dm', to: 'Ada', text: 'ok', ref: 'd2' });
    expect(await far.next((m) => m.type === 'dm' && m.ref === 'd2')).not.toHaveProperty('away');
    bo.send({ type: 'whois', nick: 'Ada' });
    expect(await bo.next('whois')).toEqual({ type: 'whois', nick: 'Ada' });
  });

  it('a blank reason is back; asking for what is already so changes nothing for others', async () => {
    const cy = await user('Cy');
    const dot = await user('Dot');
    cy.send({ type: 'away', reason: '   ', ref: 'b' });
    expect(await cy.next('away')).toEqual({ type: 'away', nick: 'Cy', ref: 'b' });
    cy.send({ type: 'away', reason: 'gone', ref: 'g1' });
    expect(await cy.next('away')).toMatchObject({ reason: 'gone', ref: 'g1' });
    cy.send({ type: 'away', reason: 'gone', ref: 'g2' });
    expect(await cy.next('away')).toMatchObject({ reason: 'gone', ref: 'g2' });
    await settled(cy);
    expect((await settled(dot)).filter((m) => m.type === 'away' && m.nick === 'Cy')).toHaveLength(1);
  });

  it('refuses a bad reason with its code and ref, and the connection goes on', async () => {
    const eve = await user('Eve', 'tcp');
    eve.send({ type: 'away', reason: 'x'.repeat(301), ref: 'long' });
    expect(await eve.error('BAD_MESSAGE')).toMatchObject({ ref: 'long', message: 'reason is longer than 300 characters' });
    eve.send({ type: 'away', reason: 'tab\there', ref: 'ctl' });
    expect(await eve.error('BAD_MESSAGE')).toMatchObject({ ref: 'ctl', message: 'reason contains control characters' });
    eve.send({ type: 'away', reason: 7, ref: 'num' });
    expect(await eve.error('BAD_MESSAGE')).toMatchObject({ ref: 'num', message: "field 'reason' must be a string" });
    eve.send({ type: 'away', reason: 'fine', ref: 'ok' });
    expect(await eve.next('away')).toMatchObject({ nick: 'Eve', reason: 'fine', ref: 'ok' });
  });

  it('needs hello first', async () => {
    const raw = await JsonClient.ws(server.wsUrl);
    clients.push(raw);
    raw.send({ type: 'away', reason: 'x', ref: 'early' });
    expect(await raw.error('NOT_REGISTERED')).toMatchObject({ ref: 'early' });
    raw.send({ type: 'whois', nick: 'x', ref: 'early2' });
    expect(await raw.error('NOT_REGISTERED')).toMatchObject({ ref: 'early2' });
  });

  it('a joiner who is away says so in its joined; a rename keeps it away', async () => {
    const fay = await user('Fay');
    const gus = await user('Gus');
    expect(await gus.join('#den')).toMatchObject({ type: 'who' });
    fay.send({ type: 'away', reason: 'brb' });
    await fay.next('away');
    expect(await fay.join('#den')).toMatchObject({ type: 'who', users: expect.arrayContaining(['Fay', 'Gus']), away: ['Fay'] });
    expect(await gus.next((m) => m.type === 'joined' && m.nick === 'Fay')).toMatchObject({ room: '#den', away: 'brb' });
    fay.send({ type: 'nick', nick: 'Faye' });
    await gus.next('nick');
    expect(await who(gus, '#den')).toMatchObject({ away: ['Faye'] });
    gus.send({ type: 'whois', nick: 'faye' });
    expect(await gus.next('whois')).toEqual({ type: 'whois', nick: 'Faye', away: 'brb' });
  });
});

describe('away in a room above the announce limit', () => {
  it('is not told to its members (as single joins are not), and its who still says it', async () => {
    const own = await startInProcess({ args: ['--limit-exempt', '127.0.0.1', '--announce-limit', '2'] });
    try {
      const [mo, ned, oz] = [await user('Mo', 'ws', own), await user('Ned', 'tcp', own), await user('Oz', 'ws', own)];
      mo.send({ type: 'away', reason: 'afk', ref: 'm' });
      expect(await mo.next('away')).toMatchObject({ ref: 'm' });
      for (const c of [ned, oz]) expect((await settled(c)).filter((m) => m.type === 'away')).toEqual([]);
      expect(await who(ned, '#lobby')).toMatchObject({ total: 3, away: ['Mo'] });
      // A smaller room of the same user is told.
      await mo.join('#two');
      await ned.join('#two');
      mo.send({ type: 'away', reason: 'afk again' });
      expect(await ned.next('away')).toEqual({ type: 'away', nick: 'Mo', reason: 'afk again' });
      expect((await settled(oz)).filter((m) => m.type === 'away')).toEqual([]);
    } finally {
      await own.server.stop();
      removeDir(own.dataDir);
    }
  });
});

describe('whois', () => {
  it('names the account of a logged-in user, as the account spells it', async () => {
    const hal = await user('Hal');
    hal.send({ type: 'register', password: PASSWORD, ref: 'r' });
    await hal.next('account');
    const ivy = await user('Ivy', 'tcp');
    ivy.send({ type: 'whois', nick: 'hal', ref: 'w' });
    expect(await ivy.next('whois')).toEqual({ type: 'whois', nick: 'Hal', account: 'Hal', ref: 'w' });
    // A guest's whois has no account.
    hal.send({ type: 'whois', nick: 'Ivy' });
    expect(await hal.next('whois')).toEqual({ type: 'whois', nick: 'Ivy' });
  });

  it('answers NO_SUCH_USER for a nick nobody holds (any more), NICK_INVALID for one no rule allows', async () => {
    const jo = await user('Jo');
    jo.send({ type: 'whois', nick: 'nobody', ref: 'n' });
    expect(await jo.error('NO_SUCH_USER')).toMatchObject({ ref: 'n', message: 'no user is called nobody' });
    const gone = await user('Gone');
    gone.close();
    await gone.closedPromise;
    await expect.poll(async () => {
      jo.send({ type: 'whois', nick: 'Gone', ref: 'g' });
      const answer = await jo.next((m) => 'ref' in m && m.ref === 'g');
      return answer.type;
    }).toBe('error');
    jo.send({ type: 'whois', nick: '9lives', ref: 'bad' });
    expect(await jo.error('NICK_INVALID')).toMatchObject({ ref: 'bad' });
    jo.send({ type: 'whois', ref: 'none' });
    expect(await jo.error('BAD_MESSAGE')).toMatchObject({ ref: 'none', message: "missing field 'nick'" });
  });
});

describe('stats', () => {
  it('counts users and rooms with members, this node its servers, its most users at once, operators online', async () => {
    const own = await startInProcess({ args: ['--limit-exempt', '127.0.0.1', '--operators', 'Root'] });
    try {
      const root = await user('Root', 'ws', own);
      // Its account is named in --operators: a server operator once registered.
      root.send({ type: 'register', password: PASSWORD });
      await root.next('account');
      const two = await user('Two', 'tcp', own);
      const three = await user('Three', 'ws', own);
      await two.join('#side');
      three.close();
      await three.closedPromise;
      await expect.poll(async () => {
        two.send({ type: 'stats', ref: 's' });
        return two.next((m) => m.type === 'stats');
      }).toEqual({ type: 'stats', users: 2, rooms: 2, servers: 1, localUsers: 2, maxLocalUsers: 3, operators: 1, ref: 's' });
    } finally {
      await own.server.stop();
      removeDir(own.dataDir);
    }
  });
});

describe('text mode', () => {
  it('/away and /back, shown to others; /whois; a DM to someone away says so; /who marks who is away', async () => {
    const kit = await text('Kit');
    const lu = await user('Lu');
    const from = kit.utf8().length;
    kit.write('/away gone fishing\r\n');
    await kit.waitAfter(from, /\*\*\* Kit is away: gone fishing\r\n/);
    expect(await lu.next('away')).toEqual({ type: 'away', nick: 'Kit', reason: 'gone fishing' });
    kit.write('/who\r\n');
    await kit.waitAfter(from, /\*\*\* #lobby \(\d+\): [^\r]*; away: [^\r]*Kit[^\r]*\r\n/);

    lu.send({ type: 'away', reason: 'asleep' });
    await kit.waitAfter(from, /\*\*\* Lu is away: asleep\r\n/);
    kit.write('/msg lu wake up\r\n');
    await kit.waitAfter(from, /\[Kit -> Lu\] wake up\r\n\*\*\* Lu is away: asleep\r\n/);
    kit.write('/whois LU\r\n');
    await kit.waitAfter(from, /\*\*\* Lu is a guest; away: asleep\r\n/);
    kit.write('/whois nobody\r\n');
    await kit.waitAfter(from, /!!! NO_SUCH_USER: no user is called nobody\r\n/);
    kit.write('/whois\r\n');
    await kit.waitAfter(from, /!!! BAD_MESSAGE: usage: \/whois nick\r\n/);

    kit.write('/back\r\n');
    await kit.waitAfter(from, /\*\*\* Kit is back\r\n/);
    expect(await lu.next((m) => m.type === 'away' && m.nick === 'Kit')).toEqual({ type: 'away', nick: 'Kit' });
    kit.write(`/away ${'y'.repeat(301)}\r\n`);
    await kit.waitAfter(from, /!!! BAD_MESSAGE: reason is longer than 300 characters\r\n/);
  });
});
