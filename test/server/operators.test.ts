/**
 * Server operators end to end: the accounts named in --operators may kill users and ban addresses
 * server-wide; everyone else is refused. A banned address is closed at once and cannot come back under
 * another nick, over TCP or WebSocket, until the ban is lifted or runs out; bans and the moderation log
 * survive a restart.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../shared/protocol.js';
import { JsonClient } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/in-process.js';
import { upgradeRefusal } from '../helpers/raw-sockets.js';
import { removeDir } from '../helpers/server.js';

const PASSWORD = 'correct horse';
// No address is exempt, and each client comes from its own loopback address.
const ARGS = ['--operators', 'Root', '--limit-exempt', ''];

let server: InProcessServer;
const clients: JsonClient[] = [];
let root: JsonClient;

async function user(nick: string, from: string, target = server): Promise<JsonClient> {
  const c = await JsonClient.from(target.tcpPort, from, nick);
  clients.push(c);
  return c;
}

/** A TCP connection from `from`: its first answer (an error and bye when refused, welcome otherwise). */
async function attempt(from: string, nick: string, target = server): Promise<ServerMessage> {
  const c = await JsonClient.tcp(target.tcpPort, from);
  clients.push(c);
  c.send({ type: 'hello', nick });
  return c.next((m) => m.type === 'welcome' || m.type === 'error');
}

beforeAll(async () => {
  server = await startInProcess({ args: ARGS });
  root = await user('Root', '127.0.0.2');
  root.send({ type: 'register', password: PASSWORD });
  await root.next('account');
});
afterEach(() => { for (const c of clients.splice(0)) if (c !== root) c.close(); });
afterAll(async () => {
  root.close();
  await server.server.stop();
  removeDir(server.dataDir);
});

describe('server operators', () => {
  it('everyone else is refused every operator command, with the ref, and nothing changes', async () => {
    const mallory = await user('Mallory', '127.0.0.3');
    const victim = await user('Victim', '127.0.0.4');
    for (const m of [
      { type: 'kill', nick: 'Victim' }, { type: 'ban', mask: '127.0.0.4' }, { type: 'unban', mask: '127.0.0.4' }, { type: 'bans' },
    ]) {
      mallory.send({ ...m, ref: m.type });
      const refused = await mallory.error('NOT_OPERATOR');
      expect(refused).toMatchObject({ ref: m.type, message: 'only a server operator may do that' });
    }
    // Nobody can pose as the operator: not by its nick, nor by one that looks like it.
    expect(await attempt('127.0.0.5', 'root')).toMatchObject({ type: 'error', code: 'NICK_REGISTERED' });
    expect(await attempt('127.0.0.5', 'R00t')).toMatchObject({ type: 'error', code: 'NICK_TAKEN' });
    victim.send({ type: 'say', room: '#lobby', text: 'still here', ref: 's' });
    expect(await victim.next('ack')).toMatchObject({ ref: 's' });
  });

  it('a ban closes the banned address at once and keeps it out under any nick, over TCP and WebSocket; others stay', async () => {
    const spammer = await user('Spammer', '127.0.0.10');
    const bystander = await user('Bystander', '127.0.0.11');
    root.send({ type: 'ban', mask: '127.0.0.10', reason: 'spam', ref: 'b' });
    const list = await root.next('bans');
    expect(list).toMatchObject({ ref: 'b', bans: [{ mask: '127.0.0.10', by: 'Root', reason: 'spam' }] });
    expect(await spammer.next('bye')).toEqual({ type: 'bye', reason: 'banned' });
    await spammer.closedPromise;
    expect(await bystander.next((m) => m.type === 'left' && m.nick === 'Spammer')).toMatchObject({ reason: 'banned' });

    expect(await attempt('127.0.0.10', 'Innocent')).toMatchObject({ type: 'error', code: 'BANNED', message: 'your address is banned from this server' });
    expect(await upgradeRefusal(server.wsUrl, '127.0.0.10')).toEqual({ status: 403, body: 'your address is banned from this server\n' });
    bystander.send({ type: 'say', room: '#lobby', text: 'quiet now', ref: 'q' });
    expect(await bystander.next('ack')).toMatchObject({ ref: 'q' });

    root.send({ type: 'unban', mask: '127.0.0.10', ref: 'u' });
    expect(await root.next('bans')).toMatchObject({ ref: 'u', bans: [] });
    expect(await attempt('127.0.0.10', 'Reformed')).toMatchObject({ type: 'welcome' });
  });

  it('a CIDR ban covers its block; a timed ban runs out by itself', async () => {
    root.send({ type: 'ban', mask: '127.0.2.0/24', ref: 'c' });
    await root.next('bans');
    expect(await attempt('127.0.2.77', 'Blocked')).toMatchObject({ code: 'BANNED' });
    expect(await attempt('127.0.3.1', 'Outside')).toMatchObject({ type: 'welcome' });
    root.send({ type: 'unban', mask: '127.0.2.0/24' });
    await root.next('bans');

    root.send({ type: 'ban', mask: '127.0.4.1', duration: 1, reason: 'cool off', ref: 't' });
    const timed = await root.next('bans');
    expect(timed.type === 'bans' && timed.bans[0]?.expires).toBeGreaterThan(Date.now());
    expect(await attempt('127.0.4.1', 'Cooling')).toMatchObject({ code: 'BANNED' });
    await expect.poll(async () => (await attempt('127.0.4.1', 'Cooled')).type, { timeout: 10_000, interval: 200 }).toBe('welcome');
    root.send({ type: 'bans', ref: 'l' });
    expect(await root.next('bans')).toMatchObject({ ref: 'l', bans: [] });
  });

  it('bad masks and lifting a ban that is not there are refused with the ref', async () => {
    for (const mask of ['not-an-address', '10.0.0.0/33', '1.2.3.4/8/9', '*']) {
      root.send({ type: 'ban', mask, ref: mask });
      expect(await root.error('BAD_MESSAGE')).toMatchObject({ ref: mask });
    }
    root.send({ type: 'unban', mask: '192.0.2.1', ref: 'none' });
    expect(await root.error('BAD_MESSAGE')).toMatchObject({ ref: 'none', message: '192.0.2.1 is not banned' });
  });

  it('kill disconnects a user with the reason, everyone sees them leave', async () => {
    const target = await user('Target', '127.0.0.20');
    const watcher = await user('Watcher', '127.0.0.21');
    root.send({ type: 'kill', nick: 'target', reason: 'flooding', ref: 'k' });
    expect(await root.next('notice')).toMatchObject({ ref: 'k' });
    expect(await target.next('bye')).toEqual({ type: 'bye', reason: 'killed by Root: flooding' });
    expect(await watcher.next((m) => m.type === 'left' && m.nick === 'Target')).toBeTruthy();
    // Killed is not banned: the user may come back.
    expect(await attempt('127.0.0.20', 'Target')).toMatchObject({ type: 'welcome' });
  });
});

describe('making operators', () => {
  it('an operator makes another account an operator, at once and across reconnects, and unmakes it; the host-named ones stay', async () => {
    const fred = await user('Fred', '127.0.0.40');
    fred.send({ type: 'register', password: PASSWORD });
    await fred.next('account');
    fred.send({ type: 'operator', account: 'Root', grant: false, ref: 'o1' });
    expect(await fred.error('NOT_OPERATOR')).toMatchObject({ ref: 'o1' });
    fred.send({ type: 'bans', ref: 'b1' });
    expect(await fred.error('NOT_OPERATOR')).toMatchObject({ ref: 'b1' });

    root.send({ type: 'operator', account: 'fred', grant: true, ref: 'g' });
    expect(await root.next((m) => m.type === 'notice' && m.ref === 'g')).toMatchObject({ text: 'Fred is a server operator now' });
    expect(await fred.next('notice')).toMatchObject({ text: 'you are a server operator now' });
    fred.send({ type: 'bans', ref: 'b2' });
    expect(await fred.next('bans')).toMatchObject({ ref: 'b2' });

    // It is kept with the account: a new login is an operator too.
    fred.close();
    await fred.closedPromise;
    const again = await JsonClient.tcp(server.tcpPort, '127.0.0.41');
    clients.push(again);
    again.send({ type: 'hello', nick: 'Fred', password: PASSWORD });
    await again.next((m) => m.type === 'who' && m.room === '#lobby');
    again.send({ type: 'bans', ref: 'b3' });
    expect(await again.next('bans')).toMatchObject({ ref: 'b3' });
    // The new operator cannot unmake the host's.
    again.send({ type: 'operator', account: 'Root', grant: false, ref: 'o2' });
    expect(await again.error('NOT_OPERATOR')).toMatchObject({ ref: 'o2', message: 'Root is named in --operators: only the host can change that' });

    root.send({ type: 'operator', account: 'Fred', grant: false, ref: 'r' });
    expect(await again.next('notice')).toMatchObject({ text: 'you are no longer a server operator' });
    again.send({ type: 'bans', ref: 'b4' });
    expect(await again.error('NOT_OPERATOR')).toMatchObject({ ref: 'b4' });
    root.send({ type: 'operator', account: 'Nobody', grant: true, ref: 'n' });
    expect(await root.error('NO_SUCH_USER')).toMatchObject({ ref: 'n' });
  });
});

describe('bans and the moderation log', () => {
  it('survive a restart', async () => {
    const s = await startInProcess({ args: ARGS });
    const op = await user('Root', '127.0.0.2', s);
    op.send({ type: 'register', password: PASSWORD });
    await op.next('account');
    op.send({ type: 'ban', mask: '127.0.5.5', reason: 'persistent' });
    await op.next('bans');
    op.send({ type: 'kill', nick: 'Nobody' });
    await op.next('notice');
    op.close();
    await s.server.stop();

    const db = new Database(path.join(s.dataDir, 'chat.db'), { readonly: true });
    const log = db.prepare("SELECT value FROM registry WHERE kind = 'modlog' ORDER BY key").all() as Array<{ value: string }>;
    db.close();
    expect(log.map((r) => JSON.parse(r.value) as Record<string, unknown>)).toMatchObject([
      { by: 'Root', action: 'ban', target: '127.0.5.5', reason: 'persistent' },
      { by: 'Root', action: 'kill', target: 'Nobody' },
    ]);

    const again = await startInProcess({ dataDir: s.dataDir, args: ARGS });
    try {
      expect(await attempt('127.0.5.5', 'Back', again)).toMatchObject({ code: 'BANNED' });
    } finally {
      await again.server.stop();
      removeDir(s.dataDir);
    }
  });
});
