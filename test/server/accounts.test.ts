/**
 * Accounts end to end on one node, over WebSocket and TCP JSON lines: register, log in with hello or
 * identify, registered and look-alike nicks kept from guests, ghost, password change, drop, the
 * server password, required accounts, and brute-force throttling. Each refusal is tried by the user it
 * must stop, next to the user it must let through.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../shared/protocol.js';
import { JsonClient } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/in-process.js';
import { removeDir } from '../helpers/server.js';

const PASSWORD = 'correct horse';

let server: InProcessServer;
const clients: JsonClient[] = [];

beforeAll(async () => { server = await startInProcess(); });
afterAll(async () => { await server.server.stop(); removeDir(server.dataDir); });
afterEach(() => { for (const c of clients.splice(0)) c.close(); });

type Kind = 'ws' | 'tcp';

async function open(kind: Kind, target: InProcessServer = server, localAddress?: string): Promise<JsonClient> {
  const c = kind === 'ws' ? await JsonClient.ws(target.wsUrl) : await JsonClient.tcp(target.tcpPort, localAddress);
  clients.push(c);
  return c;
}

async function guest(kind: Kind, nick: string, target: InProcessServer = server): Promise<JsonClient> {
  const c = await JsonClient.registered(kind, kind === 'ws' ? target.wsUrl : target.tcpPort, nick);
  clients.push(c);
  return c;
}

/** A guest who registered its nick: logged in, in #lobby. */
async function member(kind: Kind, nick: string, target: InProcessServer = server): Promise<JsonClient> {
  const c = await guest(kind, nick, target);
  c.send({ type: 'register', password: PASSWORD, ref: 'reg' });
  expect(await c.next('account')).toEqual({ type: 'account', account: nick, ref: 'reg' });
  return c;
}

/** hello with a password; resolves with the welcome or the error. */
async function hello(c: JsonClient, nick: string, password?: string): Promise<ServerMessage> {
  c.send(password === undefined ? { type: 'hello', nick, ref: 'h' } : { type: 'hello', nick, password, ref: 'h' });
  return c.next((m) => m.type === 'welcome' || m.type === 'error');
}

describe.each(['ws', 'tcp'] as const)('accounts over %s', (kind) => {
  const n = (nick: string) => `${nick}${kind}`;

  it('a registered nick is refused to a guest and let in with its password; a wrong one fails with the ref, and the connection can try again', async () => {
    const owner = await member(kind, n('Reg'));
    owner.close();
    const c = await open(kind);
    expect(await hello(c, n('reg'))).toMatchObject({ type: 'error', code: 'NICK_REGISTERED', ref: 'h' });
    expect(await hello(c, n('reg'), 'wrong password')).toMatchObject({ type: 'error', code: 'LOGIN_FAILED', ref: 'h' });
    // The registered spelling is the nick, whatever case hello used.
    expect(await hello(c, n('REG'), PASSWORD)).toMatchObject({ type: 'welcome', nick: n('Reg'), account: n('Reg') });
    await c.next((m) => m.type === 'who' && m.room === '#lobby');
  });

  it('look-alike nicks of a registered one are refused (capital I for l, 0 for O, rn for m); others are not', async () => {
    await member(kind, n('Mallory'));
    const c = await open(kind);
    for (const lookalike of [n('MaIIory'), n('Ma1lory'), n('Rnallory').replace('R', 'r'), n('MAL|ORY')]) {
      const answer = await hello(c, lookalike);
      expect(answer, lookalike).toMatchObject({ type: 'error', code: 'NICK_TAKEN', ref: 'h' });
      expect(answer.type === 'error' && answer.message).toContain(`looks like the registered nick ${n('Mallory')}`);
    }
    expect(await hello(c, n('Malory'))).toMatchObject({ type: 'welcome', nick: n('Malory') });
    // A guest may not rename to it either.
    await c.next((m) => m.type === 'who' && m.room === '#lobby');
    c.send({ type: 'nick', nick: n('MALLORY'), ref: 'n' });
    expect(await c.error('NICK_REGISTERED')).toMatchObject({ ref: 'n' });
    c.send({ type: 'nick', nick: n('Ma11ory'), ref: 'n2' });
    expect(await c.error('NICK_TAKEN')).toMatchObject({ ref: 'n2' });
  });

  it('identify from another nick takes the account nick; register refuses a registered or look-alike nick and a short password', async () => {
    const owner = await member(kind, n('Ida'));
    owner.close();
    await owner.closedPromise;
    const c = await guest(kind, n('Ida_'));
    c.send({ type: 'register', password: 'short', ref: 'r1' });
    expect(await c.error('PASSWORD_WEAK')).toMatchObject({ ref: 'r1' });
    c.send({ type: 'identify', account: n('ida'), password: 'not it at all', ref: 'i1' });
    expect(await c.error('LOGIN_FAILED')).toMatchObject({ ref: 'i1' });
    c.send({ type: 'identify', account: n('ida'), password: PASSWORD, ref: 'i2' });
    expect(await c.next('nick')).toEqual({ type: 'nick', old: n('Ida_'), new: n('Ida') });
    expect(await c.next('account')).toEqual({ type: 'account', account: n('Ida'), ref: 'i2' });
    c.send({ type: 'identify', password: PASSWORD, ref: 'i3' });
    expect(await c.error('NICK_REGISTERED')).toMatchObject({ ref: 'i3' });
    // Logged in, the account may change the nick's case and come back to it.
    c.send({ type: 'nick', nick: n('IDA') });
    expect(await c.next('nick')).toEqual({ type: 'nick', old: n('Ida'), new: n('IDA') });
  });

  it('ghost from a guest disconnects the account\'s connection and takes the nick; a wrong password ghosts nobody', async () => {
    const holder = await member(kind, n('Gus'));
    const other = await guest(kind, n('Gus2'));
    other.send({ type: 'ghost', nick: n('gus'), password: 'wrong password', ref: 'g1' });
    expect(await other.error('LOGIN_FAILED')).toMatchObject({ ref: 'g1' });
    expect(holder.closed).toBe(false);
    other.send({ type: 'ghost', nick: n('gus'), password: PASSWORD, ref: 'g2' });
    expect(await holder.next('bye')).toMatchObject({ reason: `disconnected by ${n('Gus2')} (ghost)` });
    expect(await other.next('nick')).toEqual({ type: 'nick', old: n('Gus2'), new: n('Gus') });
    expect(await other.next('account')).toEqual({ type: 'account', account: n('Gus'), ref: 'g2' });
    await holder.closedPromise;
  });

  it('password change needs the old password; then only the new one logs in', async () => {
    const c = await member(kind, n('Pat'));
    c.send({ type: 'password', old: 'not the password', new: 'a new password', ref: 'p1' });
    expect(await c.error('LOGIN_FAILED')).toMatchObject({ ref: 'p1' });
    c.send({ type: 'password', old: PASSWORD, new: 'short', ref: 'p2' });
    expect(await c.error('PASSWORD_WEAK')).toMatchObject({ ref: 'p2' });
    c.send({ type: 'password', old: PASSWORD, new: 'a new password', ref: 'p3' });
    expect(await c.next('account')).toEqual({ type: 'account', account: n('Pat'), ref: 'p3' });
    c.close();
    await c.closedPromise;
    const again = await open(kind);
    expect(await hello(again, n('Pat'), PASSWORD)).toMatchObject({ type: 'error', code: 'LOGIN_FAILED' });
    expect(await hello(again, n('Pat'), 'a new password')).toMatchObject({ type: 'welcome', account: n('Pat') });
  });

  it('drop needs the password and frees the nick; account commands need a login', async () => {
    const g = await guest(kind, n('Guest'));
    for (const m of [{ type: 'drop', password: PASSWORD }, { type: 'password', old: PASSWORD, new: 'whatever you like' }]) {
      g.send({ ...m, ref: m.type });
      expect(await g.error('ACCOUNT_REQUIRED')).toMatchObject({ ref: m.type });
    }
    const c = await member(kind, n('Dot'));
    c.send({ type: 'drop', password: 'wrong password', ref: 'd1' });
    expect(await c.error('LOGIN_FAILED')).toMatchObject({ ref: 'd1' });
    c.send({ type: 'drop', password: PASSWORD, ref: 'd2' });
    expect(await c.next('account')).toEqual({ type: 'account', ref: 'd2' });
    c.close();
    await c.closedPromise;
    const next = await open(kind);
    expect(await hello(next, n('dot'))).toMatchObject({ type: 'welcome', nick: n('dot') });
    expect(await next.next('welcome', 300).catch(() => null)).toBeNull();
  });
});

describe('accounts are kept', () => {
  it('across a restart; a failed store write is answered INTERNAL and registers nothing', async () => {
    // The writer, once killed, stays down for the rest of the test.
    const s = await startInProcess({ internal: { writerRestartMinMs: 60_000 } });
    try {
      const c = await JsonClient.registered('tcp', s.tcpPort, 'Kept');
      c.send({ type: 'register', password: PASSWORD, email: 'kept@example.org' });
      await c.next('account');
      const w = await JsonClient.registered('tcp', s.tcpPort, 'Unkept');
      await s.server.faults.killHistoryWriter();
      w.send({ type: 'register', password: PASSWORD, ref: 'r' });
      expect(await w.error('INTERNAL')).toMatchObject({ ref: 'r' });
      c.close();
      w.close();
    } finally {
      await s.server.stop();
    }
    const again = await startInProcess({ dataDir: s.dataDir });
    try {
      const c = await JsonClient.tcp(again.tcpPort);
      expect(await hello(c, 'kept')).toMatchObject({ code: 'NICK_REGISTERED' });
      expect(await hello(c, 'kept', PASSWORD)).toMatchObject({ type: 'welcome', nick: 'Kept', account: 'Kept' });
      const u = await JsonClient.tcp(again.tcpPort);
      expect(await hello(u, 'Unkept')).toMatchObject({ type: 'welcome', nick: 'Unkept' });
      expect(await hello(u, 'Unkept')).toMatchObject({ type: 'error', code: 'ALREADY_REGISTERED' });
      c.close();
      u.close();
    } finally {
      await again.server.stop();
      removeDir(s.dataDir);
    }
  });
});

describe('a private server (--password, --require-account)', () => {
  let priv: InProcessServer;
  beforeAll(async () => {
    priv = await startInProcess({ args: ['--password', 'letmein', '--require-account'] });
  });
  afterAll(async () => { await priv.server.stop(); removeDir(priv.dataDir); });

  it('a guest needs the server password, then may only register or log in; an account logs in with its own password', async () => {
    const c = await open('tcp', priv);
    expect(await hello(c, 'Stranger')).toMatchObject({ type: 'error', code: 'PASSWORD_REQUIRED', ref: 'h' });
    expect(await hello(c, 'Stranger', 'guess')).toMatchObject({ type: 'error', code: 'PASSWORD_REQUIRED', ref: 'h' });
    expect(await hello(c, 'Stranger', 'letmein')).toMatchObject({ type: 'welcome', nick: 'Stranger' });
    expect(await c.next('notice')).toMatchObject({ text: expect.stringContaining('needs an account') });
    for (const m of [{ type: 'join', room: '#x' }, { type: 'say', room: '#lobby', text: 'hi' }, { type: 'rooms' }, { type: 'who', room: '#lobby' }]) {
      c.send({ ...m, ref: m.type });
      expect(await c.error('ACCOUNT_REQUIRED')).toMatchObject({ ref: m.type });
    }
    expect(await c.none((m) => m.type === 'joined')).toBe(true);
    c.send({ type: 'register', password: PASSWORD, ref: 'r' });
    expect(await c.next('account')).toMatchObject({ account: 'Stranger', ref: 'r' });
    expect(await c.next('joined')).toMatchObject({ room: '#lobby', nick: 'Stranger' });
    c.close();
    await c.closedPromise;

    const back = await open('ws', priv);
    expect(await hello(back, 'stranger', PASSWORD)).toMatchObject({ type: 'welcome', account: 'Stranger' });
    expect(await back.next('joined')).toMatchObject({ room: '#lobby' });
  });

});

describe('--account-rooms', () => {
  let rooms: InProcessServer;
  beforeAll(async () => { rooms = await startInProcess({ args: ['--account-rooms', 'news, #Notices'] }); });
  afterAll(async () => { await rooms.server.stop(); removeDir(rooms.dataDir); });

  it('in an account room a guest reads but may not speak; a logged-in user speaks; other rooms are open to both', async () => {
    const writer = await member('tcp', 'Writer', rooms);
    const reader = await guest('ws', 'Reader', rooms);
    for (const c of [writer, reader]) {
      c.send({ type: 'join', room: '#news' });
      await c.next((m) => m.type === 'who' && m.room === '#news');
    }
    reader.send({ type: 'say', room: '#news', text: 'unsigned', ref: 'u' });
    const refused = await reader.error('ACCOUNT_REQUIRED');
    expect(refused).toMatchObject({ ref: 'u' });
    expect(refused.message).toContain('#news');
    writer.send({ type: 'say', room: '#news', text: 'signed', ref: 's' });
    expect(await writer.next('ack')).toMatchObject({ ref: 's' });
    expect(await reader.next('message')).toMatchObject({ room: '#news', from: 'Writer', text: 'signed' });
    reader.send({ type: 'say', room: '#lobby', text: 'open here', ref: 'l' });
    expect(await reader.next('ack')).toMatchObject({ ref: 'l' });
  });

  it('a bad room name in --account-rooms stops the start with a clear message', async () => {
    await expect(startInProcess({ args: ['--account-rooms', '#ok,not a room'] })).rejects.toThrow(/--account-rooms: 'not a room' is not a room name/);
  });
});

describe('brute force', () => {
  let open2: InProcessServer;
  beforeAll(async () => {
    // No address is exempt here, so loopback addresses count like any other. The bursts are the
    // defaults, but a token comes back after an hour, not seconds: a slow machine taking seconds over
    // the ten password checks must not see one refilled meanwhile.
    open2 = await startInProcess({
      args: ['--limit-exempt', ''],
      internal: { loginThrottle: { addressBurst: 10, addressEveryMs: 3_600_000, accountBurst: 5, accountEveryMs: 3_600_000 } },
    });
    for (const [i, nick] of ['Vault', 'Safe0', 'Safe1', 'Safe2'].entries()) {
      const c = await JsonClient.tcp(open2.tcpPort, `127.0.1.${i}`);
      await hello(c, nick);
      c.send({ type: 'register', password: PASSWORD });
      await c.next('account');
      c.close();
    }
  });
  afterAll(async () => { await open2.server.stop(); removeDir(open2.dataDir); });

  it('an account takes 5 wrong passwords from anywhere, then refuses every try (the right one too) for a while', async () => {
    for (let i = 0; i < 5; i++) {
      const c = await open('tcp', open2, `127.0.0.${10 + i}`);
      expect(await hello(c, 'Vault', `guess ${i}`)).toMatchObject({ code: 'LOGIN_FAILED' });
    }
    const c = await open('tcp', open2, '127.0.0.20');
    const refused = await hello(c, 'Vault', PASSWORD);
    expect(refused).toMatchObject({ type: 'error', code: 'RATE_LIMITED', ref: 'h' });
    expect(refused.type === 'error' && refused.message).toMatch(/too many login attempts; try again in \d+ s/);
    // The connection is still usable, and other accounts are not affected.
    expect(await hello(c, 'Bystander')).toMatchObject({ type: 'welcome' });
  });

  it('one address gets 10 password checks at once, then one every few seconds, whatever the accounts', async () => {
    const c = await open('tcp', open2, '127.0.0.30');
    // Spread over three accounts, so that no account reaches its own limit.
    for (let i = 0; i < 10; i++) expect(await hello(c, `Safe${i % 3}`, `guess ${i}`)).toMatchObject({ code: 'LOGIN_FAILED' });
    expect(await hello(c, 'Safe2', PASSWORD)).toMatchObject({ code: 'RATE_LIMITED', ref: 'h' });
    // Another address is not held back, and the account is not locked.
    const d = await open('tcp', open2, '127.0.0.31');
    expect(await hello(d, 'Safe2', PASSWORD)).toMatchObject({ type: 'welcome', account: 'Safe2' });
  });
});
