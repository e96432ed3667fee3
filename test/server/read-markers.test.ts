/**
 * Read markers on one node, over real sockets: a `read` from one terminal of an account reaches its other
 * terminals (not the sender), only forward, only for accounts and rooms they are in; a terminal that logs
 * in is told the markers before its rooms; they are kept in the SQLite file across a restart, and go
 * with a dropped account.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../shared/protocol.js';
import { JsonClient } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/in-process.js';
import { makeTempDir, removeDir } from '../helpers/server.js';

const PASSWORD = 'correct horse';

let server: InProcessServer;
const clients: JsonClient[] = [];

beforeAll(async () => { server = await startInProcess({ args: ['--limit-exempt', '127.0.0.1'] }); });
afterEach(() => { for (const c of clients.splice(0)) c.close(); });
afterAll(async () => {
  await server.server.stop();
  removeDir(server.dataDir);
});

async function guest(nick: string, on: InProcessServer = server): Promise<JsonClient> {
  const c = await JsonClient.registered('tcp', on.tcpPort, nick);
  clients.push(c);
  return c;
}

/** A guest who registered its nick: the account's first terminal. */
async function account(nick: string, on: InProcessServer = server): Promise<JsonClient> {
  const c = await guest(nick, on);
  c.send({ type: 'register', password: PASSWORD, ref: 'reg' });
  expect(await c.next('account')).toEqual({ type: 'account', account: nick, ref: 'reg' });
  return c;
}

/** Another terminal logging in with hello; resolves once welcome has come. */
async function terminal(nick: string, on: InProcessServer = server): Promise<JsonClient> {
  const c = await JsonClient.ws(on.wsUrl);
  clients.push(c);
  c.send({ type: 'hello', nick, password: PASSWORD });
  await c.next('welcome');
  return c;
}

/** Everything the server sent `c` before this has arrived: a ping's pong comes after it. */
async function settled(c: JsonClient): Promise<ServerMessage[]> {
  const ref = `s${Math.random()}`;
  c.send({ type: 'ping', ref });
  await c.next((m) => m.type === 'pong' && m.ref === ref);
  return c.received;
}

/** Says `count` messages in `room`; resolves with the last one's seq. */
async function say(c: JsonClient, room: string, count: number): Promise<number> {
  let seq = 0;
  for (let i = 0; i < count; i++) {
    const ref = `say${Math.random()}`;
    c.send({ type: 'say', room, text: `line ${i}`, ref });
    const ack = await c.next((m) => m.type === 'ack' && m.ref === ref);
    if (ack.type === 'ack') seq = ack.seq;
  }
  return seq;
}

const reads = (messages: ServerMessage[]) => messages.filter((m) => m.type === 'read');

describe('read markers between the terminals of one account', () => {
  it('a marker one terminal moves reaches the others, not the sender; only forward; never past the newest message', async () => {
    const one = await account('Ada');
    const two = await terminal('ada');
    const three = await terminal('ADA');
    const bob = await guest('Bob');
    await one.join('#dev');
    await bob.join('#dev');
    const last = await say(bob, '#dev', 5);

    one.send({ type: 'read', room: '#dev', seq: last - 2, ref: 'r1' });
    expect(await one.next('read')).toEqual({ type: 'read', room: '#dev', seq: last - 2, ref: 'r1' });
    for (const c of [two, three]) expect(await c.next('read')).toEqual({ type: 'read', room: '#dev', seq: last - 2 });

    // From another terminal, in another spelling of the room: the others hear it, the sender only its answer.
    two.send({ type: 'read', room: 'DEV', seq: last, ref: 'r2' });
    expect(await two.next('read')).toEqual({ type: 'read', room: '#dev', seq: last, ref: 'r2' });
    for (const c of [one, three]) expect(await c.next('read')).toEqual({ type: 'read', room: '#dev', seq: last });

    // A lower seq is no error: the answer says where the marker is, and nobody else is told.
    three.send({ type: 'read', room: '#dev', seq: 1, ref: 'low' });
    expect(await three.next('read')).toEqual({ type: 'read', room: '#dev', seq: last, ref: 'low' });
    // Past the newest message: the newest.
    one.send({ type: 'read', room: '#dev', seq: last + 1000, ref: 'past' });
    expect(await one.next('read')).toEqual({ type: 'read', room: '#dev', seq: last, ref: 'past' });
    // Without a ref, a read that moves nothing gets no answer at all.
    one.send({ type: 'read', room: '#dev', seq: last });
    // one: r1, two's move, past; two: one's move, r2; three: both moves, low. Nothing more for anyone.
    for (const c of [one, two, three]) await settled(c);
    expect([one, two, three].map((c) => reads(c.received).length)).toEqual([3, 2, 3]);
    expect(reads(await settled(bob))).toEqual([]);
  });

  it('a guest is refused with ACCOUNT_REQUIRED, a room one is not in with NOT_IN_ROOM; the connection goes on', async () => {
    const guestUser = await guest('Gus');
    guestUser.send({ type: 'read', room: '#lobby', seq: 1, ref: 'g' });
    expect(await guestUser.error('ACCOUNT_REQUIRED')).toMatchObject({ ref: 'g', message: expect.stringContaining('accounts') });
    const owner = await account('Olga');
    owner.send({ type: 'read', room: '#elsewhere', seq: 1, ref: 'n' });
    expect(await owner.error('NOT_IN_ROOM')).toMatchObject({ ref: 'n' });
    owner.send({ type: 'read', room: '#lobby', seq: -1, ref: 'bad' });
    expect(await owner.error('BAD_MESSAGE')).toMatchObject({ ref: 'bad' });
    owner.send({ type: 'ping', ref: 'alive' });
    expect(await owner.next('pong')).toEqual({ type: 'pong', ref: 'alive' });
  });

  it('a terminal that logs in is told the markers after welcome and before its rooms; identify tells them too', async () => {
    const first = await account('Ines');
    const bob = await guest('Bert');
    for (const room of ['#one', '#two']) {
      await first.join(room);
      await bob.join(room);
    }
    const seqOne = await say(bob, '#one', 3);
    const seqTwo = await say(bob, '#two', 2);
    first.send({ type: 'read', room: '#one', seq: seqOne, ref: 'a' });
    await first.next('read');
    first.send({ type: 'read', room: '#two', seq: seqTwo - 1, ref: 'b' });
    await first.next('read');

    const second = await terminal('ines');
    const arrived = await settled(second);
    const markers = reads(arrived);
    expect(markers).toEqual([{ type: 'read', room: '#one', seq: seqOne }, { type: 'read', room: '#two', seq: seqTwo - 1 }]);
    const firstJoined = arrived.findIndex((m) => m.type === 'joined');
    expect(firstJoined).toBeGreaterThan(arrived.indexOf(markers.at(-1)!));
    expect(arrived.findIndex((m) => m.type === 'welcome')).toBeLessThan(arrived.indexOf(markers[0]!));

    // A guest who identifies becomes a terminal of the account: the markers, then its rooms, then account.
    const third = await guest('Visitor');
    third.send({ type: 'identify', account: 'Ines', password: PASSWORD, ref: 'i' });
    await third.next((m) => m.type === 'account' && m.ref === 'i');
    const told = await settled(third);
    const readAt = told.findIndex((m) => m.type === 'read' && m.room === '#one');
    expect(readAt).toBeGreaterThan(-1);
    expect(readAt).toBeLessThan(told.findIndex((m) => m.type === 'joined' && m.room === '#one' && m.nick === 'Ines'));
  });

  it('a dropped account takes its markers with it: registering the nick again starts without them', async () => {
    const owner = await account('Dora');
    const seq = await say(owner, '#lobby', 1);
    owner.send({ type: 'read', room: '#lobby', seq, ref: 'r' });
    expect(await owner.next('read')).toEqual({ type: 'read', room: '#lobby', seq, ref: 'r' });
    owner.send({ type: 'drop', password: PASSWORD, ref: 'd' });
    expect(await owner.next('account')).toEqual({ type: 'account', ref: 'd' });
    owner.send({ type: 'register', password: PASSWORD, ref: 'again' });
    await owner.next((m) => m.type === 'account' && m.ref === 'again');
    expect(reads(await settled(owner)).filter((m) => m.ref === undefined)).toEqual([]);
    const other = await terminal('dora');
    expect(reads(await settled(other))).toEqual([]);
  });
});

describe('read markers in the SQLite file', () => {
  it('survive a restart on the same file, written as the server stops, and come to the next login', async () => {
    const dataDir = makeTempDir();
    let first: InProcessServer | null = await startInProcess({ dataDir, args: ['--limit-exempt', '127.0.0.1'] });
    try {
      const owner = await account('Rita', first);
      const bob = await guest('Ray', first);
      await owner.join('#keep');
      await bob.join('#keep');
      const last = await say(bob, '#keep', 4);
      owner.send({ type: 'read', room: '#keep', seq: last - 1, ref: 'r' });
      await owner.next('read');
      // At once: the marker is still waiting for its batch, and the stop must write it.
      await first.server.stop();
      first = null;

      const second = await startInProcess({ dataDir, args: ['--limit-exempt', '127.0.0.1'] });
      try {
        const back = await terminal('rita', second);
        expect(reads(await settled(back))).toEqual([{ type: 'read', room: '#keep', seq: last - 1 }]);
      } finally {
        await second.server.stop();
      }
    } finally {
      await first?.server.stop();
      removeDir(dataDir);
    }
  });

  it('are written to the registry once the last terminal leaves, one record per account and room', async () => {
    const owner = await account('Lena');
    const bob = await guest('Lars');
    await owner.join('#gone');
    await bob.join('#gone');
    const last = await say(bob, '#gone', 2);
    owner.send({ type: 'read', room: '#gone', seq: last, ref: 'r' });
    await owner.next('read');
    owner.close();
    const db = new Database(path.join(server.dataDir, 'chat.db'), { readonly: true });
    try {
      const stored = () => db.prepare("SELECT value FROM registry WHERE kind = 'read' AND key = 'lena #gone'").pluck().get() as string | undefined;
      await expect.poll(() => stored() && JSON.parse(stored()!), { timeout: 10_000 }).toMatchObject({ room: '#gone', seq: last });
    } finally {
      db.close();
    }
  });
});

describe('read markers when the store fails', () => {
  it('the reader down: a login goes on without markers (logged), and a read answers INTERNAL with its ref', async () => {
    const s = await startInProcess({ args: ['--limit-exempt', '127.0.0.1'], internal: { readerRestartMinMs: 60_000 } });
    try {
      const owner = await account('Remy', s);
      const seq = await say(owner, '#lobby', 1);
      owner.send({ type: 'read', room: '#lobby', seq, ref: 'r' });
      expect(await owner.next('read')).toEqual({ type: 'read', room: '#lobby', seq, ref: 'r' });
      owner.close();
      // Written and forgotten here once its last terminal left: the next login reads it from the file.
      const db = new Database(path.join(s.dataDir, 'chat.db'), { readonly: true });
      await expect.poll(() => db.prepare("SELECT count(*) FROM registry WHERE kind = 'read' AND key = 'remy #lobby'").pluck().get()).toBe(1);
      db.close();
      await s.server.faults.killHistoryReader();
      const back = await terminal('remy', s);
      expect(reads(await settled(back))).toEqual([]);
      await expect.poll(() => s.logs.some((r) => r.msg === 'could not read the read markers' && r.account === 'Remy')).toBe(true);
      back.send({ type: 'read', room: '#lobby', seq, ref: 'down' });
      expect(await back.error('INTERNAL')).toMatchObject({ ref: 'down', message: expect.stringMatching(/^the read markers could not be read: /) });
      back.send({ type: 'ping', ref: 'alive' });
      expect(await back.next('pong')).toEqual({ type: 'pong', ref: 'alive' });
    } finally {
      await s.server.stop();
      removeDir(s.dataDir);
    }
  });

  it('the writer down: reads are still answered and told to the other terminals; the failed batch is logged and tried again', async () => {
    const s = await startInProcess({ args: ['--limit-exempt', '127.0.0.1'], internal: { writerRestartMinMs: 60_000 } });
    try {
      const one = await account('Wade', s);
      const two = await terminal('wade', s);
      const seq = await say(one, '#lobby', 1);
      await s.server.faults.killHistoryWriter();
      one.send({ type: 'read', room: '#lobby', seq, ref: 'r' });
      expect(await one.next('read')).toEqual({ type: 'read', room: '#lobby', seq, ref: 'r' });
      expect(await two.next('read')).toEqual({ type: 'read', room: '#lobby', seq });
      const failures = () => s.logs.filter((r) => r.msg === 'read markers could not be stored; trying again').length;
      await expect.poll(failures, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    } finally {
      await s.server.stop();
      removeDir(s.dataDir);
    }
  });
});
