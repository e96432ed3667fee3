/**
 * Room roles and moderation the IRC way, over real sockets: NAMES and WHO carry `@` and `+`, `MODE #room`
 * answers the room's settings (324), role and settings changes reach IRC members as MODE lines from the
 * operator, and a kick is a KICK line for the kicked user and its peers. JSON members get the same as
 * `who.ops`/`voiced`/`settings`, `role`, `settings` and `left.by`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IrcClient } from '../helpers/irc-client.js';
import { JsonClient } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/in-process.js';
import { removeDir } from '../helpers/server.js';
import type { ParsedMessage } from '../../server/irc/message.js';
import type { ServerMessage } from '../../shared/protocol.js';

const PASSWORD = 'correct horse';

let server: InProcessServer;
let port: number;
const open: { close(): void }[] = [];

beforeAll(async () => {
  server = await startInProcess({ args: ['--irc-port', '0'] });
  port = server.server.ircPort!;
});
afterEach(() => { for (const c of open.splice(0)) c.close(); });
afterAll(async () => {
  await server.server.stop();
  removeDir(server.dataDir);
});

async function json(nick: string): Promise<JsonClient> {
  const c = await JsonClient.registered('ws', server.wsUrl, nick);
  open.push(c);
  return c;
}

/** A JSON user whose nick is now a registered account, logged in. */
async function account(nick: string): Promise<JsonClient> {
  const c = await json(nick);
  c.send({ type: 'register', password: PASSWORD });
  await c.next('account');
  return c;
}

/** An IRC user; with `register`, its nick is registered first and PASS logs it in. */
async function irc(nick: string, register = false): Promise<IrcClient> {
  if (register) {
    const c = await account(nick);
    c.close();
    await c.closedPromise;
  }
  const c = await IrcClient.registered(port, nick, register ? PASSWORD : undefined);
  open.push(c);
  return c;
}

/** The nicks of a NAMES reply (353 lines up to 366), as sent. */
async function names(c: IrcClient, room: string): Promise<string[]> {
  await c.sync(); // the 353s of an earlier JOIN out of the way
  c.send(`NAMES ${room}`);
  return namesUntilEnd(c, room);
}

async function namesUntilEnd(c: IrcClient, room: string): Promise<string[]> {
  const listed: string[] = [];
  for (;;) {
    const m = await c.next((x) => (x.verb === '353' && x.params[2] === room) || (x.verb === '366' && x.params[1] === room));
    if (m.verb === '366') return listed.sort();
    listed.push(...m.params[3]!.split(' '));
  }
}

/**
 * A MODE line from an operator, not the server's: a room's creator is made its operator once its join is
 * answered, and that MODE may come after others have joined.
 */
const byOperator = (m: ParsedMessage) => m.verb === 'MODE' && m.source !== 'chat';
const aboutTamsin = (m: ServerMessage) => m.type === 'role' && m.nick === 'Tamsin';

const ask = async (c: JsonClient, message: Record<string, unknown>): Promise<ServerMessage> => {
  const ref = `r${Math.random().toString(36).slice(2)}`;
  c.send({ ...message, ref });
  return c.next((m) => 'ref' in m && m.ref === ref);
};

describe('roles in NAMES and WHO', () => {
  it('the owner is @, a voiced account +, in NAMES (with userhost-in-names and multi-prefix) and in WHO flags', async () => {
    const owner = await account('Rhea');
    await owner.join('#prefixes');
    const voiced = await irc('Vance', true);
    await voiced.join('#prefixes');
    const guest = await irc('plainG');
    await guest.join('#prefixes');
    expect(await ask(owner, { type: 'role', room: '#prefixes', account: 'vance', role: 'voice' })).toMatchObject({ type: 'notice' });
    await guest.next((m) => m.verb === 'MODE' && m.params[1] === '+v');

    expect(await names(guest, '#prefixes')).toEqual(['+Vance', '@Rhea', 'plainG']);
    await ask(owner, { type: 'away', reason: 'lunch' });
    await expect.poll(async () => {
      guest.send('WHO #prefixes');
      const rows: string[] = [];
      for (;;) {
        const m = await guest.next((x) => x.verb === '352' || x.verb === '315');
        if (m.verb === '315') return rows.sort();
        rows.push(`${m.params[5]} ${m.params[6]}`);
      }
    }).toEqual(['Rhea G@', 'Vance H+', 'plainG H']);

    const full = await irc('fullNames');
    await full.requestCaps('userhost-in-names multi-prefix');
    full.send('JOIN #prefixes');
    expect(await namesUntilEnd(full, '#prefixes')).toEqual(['+Vance!~u@chat', '@Rhea!~u@chat', 'fullNames!~u@chat', 'plainG!~u@chat']);

    // Our JSON members get the same roles in `who`.
    owner.send({ type: 'who', room: '#prefixes' });
    expect(await owner.next((m) => m.type === 'who' && m.room === '#prefixes')).toMatchObject({ ops: ['Rhea'], voiced: ['Vance'] });
  });

  it('a room without roles lists plain nicks, and its who has no ops or voiced', async () => {
    const a = await irc('noRoleA');
    await a.join('#plainroom');
    expect(await names(a, '#plainroom')).toEqual(['noRoleA']);
    const j = await json('noRoleJ');
    const who = await j.join('#plainroom');
    expect(who).not.toHaveProperty('ops');
    expect(who).not.toHaveProperty('voiced');
  });
});

describe('MODE lines for role changes', () => {
  it('an operator giving and taking roles is seen as MODE from it by IRC members; JSON members get role events', async () => {
    const owner = await account('Orla');
    await owner.join('#rolesroom');
    const watcher = await irc('watchR');
    await watcher.join('#rolesroom');
    const target = await irc('Tamsin', true);
    await target.join('#rolesroom');
    const peer = await json('peerR');
    await peer.join('#rolesroom');

    await ask(owner, { type: 'role', room: '#rolesroom', account: 'tamsin', role: 'op' });
    expect(await watcher.next(byOperator)).toMatchObject({ source: 'Orla!~u@chat', params: ['#rolesroom', '+o', 'Tamsin'] });
    expect(await target.next(byOperator)).toMatchObject({ source: 'Orla!~u@chat', params: ['#rolesroom', '+o', 'Tamsin'] });
    expect(await peer.next(aboutTamsin)).toEqual({ type: 'role', room: '#rolesroom', nick: 'Tamsin', role: 'op', was: 'none', by: 'Orla' });

    await ask(owner, { type: 'role', room: '#rolesroom', account: 'tamsin', role: 'voice' });
    expect(await watcher.next(byOperator)).toMatchObject({ params: ['#rolesroom', '-o+v', 'Tamsin', 'Tamsin'] });
    expect(await peer.next(aboutTamsin)).toMatchObject({ nick: 'Tamsin', role: 'voice', was: 'op' });

    // Over IRC too: the owner's account on an IRC connection takes the voice away.
    const ownerIrc = await IrcClient.registered(port, 'Orla', PASSWORD);
    open.push(ownerIrc);
    ownerIrc.send('MODE #rolesroom -v Tamsin');
    expect(await watcher.next(byOperator)).toMatchObject({ source: 'Orla!~u@chat', params: ['#rolesroom', '-v', 'Tamsin'] });
    expect(await peer.next(aboutTamsin)).toMatchObject({ nick: 'Tamsin', role: 'none', was: 'voice', by: 'Orla' });

    // The moderation NOTICE is not sent to IRC members for these: the MODE line says it.
    expect((await watcher.sync()).filter((m) => m.verb === 'NOTICE')).toEqual([]);
    // JSON members still get the moderation line too.
    expect(await peer.next((m) => m.type === 'moderation' && m.action === 'role removed')).toMatchObject({ detail: 'Tamsin' });
  });

  it('a member who holds a role joins with its MODE from the server; the creator of a room is made its operator', async () => {
    const maker = await irc('Maker', true);
    const watcher = await irc('watchJ');
    maker.send('JOIN #made');
    expect(await maker.next((m) => m.verb === 'MODE')).toMatchObject({ source: 'chat', params: ['#made', '+o', 'Maker'] });
    await watcher.join('#made');
    maker.send('PART #made');
    await watcher.next('PART');
    maker.send('JOIN #made');
    await watcher.next('JOIN');
    expect(await watcher.next('MODE')).toMatchObject({ source: 'chat', params: ['#made', '+o', 'Maker'] });
    const j = await json('joinSeer');
    await j.join('#made');
    maker.send('PART #made');
    maker.send('JOIN #made');
    expect(await j.next((m) => m.type === 'joined' && m.nick === 'Maker')).toMatchObject({ role: 'op' });
  });
});

describe('MODE #room and settings', () => {
  it('MODE #room answers 324 with the settings as they are, the key and limit included for members', async () => {
    const owner = await account('Sable');
    await owner.join('#settled');
    const member = await irc('memberS');
    await member.join('#settled');
    member.send('MODE #settled');
    expect(await member.next('324')).toMatchObject({ params: ['memberS', '#settled', '+'] });

    await ask(owner, { type: 'settings', room: '#settled', moderated: true, topicOps: true, secret: true, key: 'sesame', limit: 20 });
    expect(await member.next(byOperator)).toMatchObject({ source: 'Sable!~u@chat', params: ['#settled', '+mstlk', '20', 'sesame'] });
    member.send('MODE #settled');
    expect(await member.next('324')).toMatchObject({ params: ['memberS', '#settled', '+mstlk', '20', 'sesame'] });
    expect((await member.sync()).filter((m) => m.verb === '329')).toEqual([]);

    // An outsider of a room with settings is not told them.
    const outsider = await irc('outsiderS');
    outsider.send('MODE #settled');
    expect(await outsider.next((m) => m.verb === '324' || m.verb === '442')).toMatchObject({ verb: '324', params: ['outsiderS', '#settled', '+'] });
    await ask(owner, { type: 'settings', room: '#settled', secret: false });
    await member.next(byOperator);
    outsider.send('MODE #settled');
    expect(await outsider.next((m) => m.verb === '324' || m.verb === '442')).toMatchObject({ verb: '442' });

    const peer = await json('peerS');
    peer.send({ type: 'join', room: '#settled', key: 'sesame' });
    expect(await peer.next((m) => m.type === 'who' && m.room === '#settled')).toMatchObject({ settings: { moderated: true, topicOps: true, key: 'sesame', limit: 20 } });
  });

  it('settings changed over IRC or JSON reach IRC members as one MODE line from the operator; JSON members get settings events', async () => {
    const owner = await account('Setter');
    await owner.join('#switches');
    // The same account on IRC: one more terminal of it, in its rooms.
    const ownerIrc = await IrcClient.registered(port, 'Setter', PASSWORD);
    open.push(ownerIrc);
    const member = await irc('memberW');
    await member.join('#switches');
    const peer = await json('peerW');
    await peer.join('#switches');

    ownerIrc.send('MODE #switches +ik secret');
    expect(await member.next(byOperator)).toMatchObject({ source: 'Setter!~u@chat', params: ['#switches', '+i'] });
    expect(await member.next(byOperator)).toMatchObject({ source: 'Setter!~u@chat', params: ['#switches', '+k', 'secret'] });
    expect(await peer.next('settings')).toEqual({ type: 'settings', room: '#switches', settings: { inviteOnly: true }, changed: ['inviteOnly'], by: 'Setter' });
    expect(await peer.next('settings')).toMatchObject({ settings: { inviteOnly: true, key: 'secret' }, changed: ['key'] });

    await ask(owner, { type: 'settings', room: '#switches', inviteOnly: false, key: '', limit: 5, moderated: true });
    expect(await member.next(byOperator)).toMatchObject({ source: 'Setter!~u@chat', params: ['#switches', '+ml-ik', '5', '*'] });
    expect(await peer.next('settings')).toMatchObject({ settings: { moderated: true, limit: 5 }, changed: ['inviteOnly', 'key', 'moderated', 'limit'] });

    // A change to what it already is changes nothing, and no MODE line goes out.
    ownerIrc.send('MODE #switches +m');
    expect((await member.sync()).filter((m) => byOperator(m) || m.verb === 'NOTICE')).toEqual([]);
  });
});

describe('KICK', () => {
  it('a kick is a KICK line from the operator, seen by the kicked user and its peers; JSON members get left.by', async () => {
    const ownerIrc = await irc('Kicker', true);
    await ownerIrc.join('#kicks');
    const victim = await irc('victimK');
    await victim.join('#kicks');
    const peer = await irc('peerK');
    await peer.join('#kicks');
    const jpeer = await json('jpeerK');
    await jpeer.join('#kicks');

    ownerIrc.send('KICK #kicks victimK :take a break');
    const line = { source: 'Kicker!~u@chat', verb: 'KICK', params: ['#kicks', 'victimK', 'take a break'] };
    expect(await victim.next('KICK')).toMatchObject(line);
    expect(await peer.next('KICK')).toMatchObject(line);
    expect(await ownerIrc.next('KICK')).toMatchObject(line);
    expect(await jpeer.next('left')).toEqual({ type: 'left', room: '#kicks', nick: 'victimK', reason: 'kicked by Kicker: take a break', by: 'Kicker' });
    expect((await victim.sync()).filter((m) => m.verb === 'PART')).toEqual([]);
    victim.send('PRIVMSG #kicks :still here?');
    expect(await victim.next('404')).toBeTruthy();

    // Without a reason, the comment is the operator's nick, as IRC servers say it.
    await victim.join('#kicks');
    ownerIrc.send('KICK #kicks victimK');
    expect(await victim.next('KICK')).toMatchObject({ params: ['#kicks', 'victimK', 'Kicker'] });
    expect(await jpeer.next((m) => m.type === 'left' && m.nick === 'victimK')).toMatchObject({ reason: 'kicked by Kicker', by: 'Kicker' });
  });

  it('a JSON user kicked sees left with by; a plain part has none', async () => {
    const owner = await account('Kora');
    await owner.join('#kickjson');
    const kicked = await json('kickedJ');
    await kicked.join('#kickjson');
    await ask(owner, { type: 'kick', room: '#kickjson', nick: 'kickedJ' });
    expect(await kicked.next('left')).toMatchObject({ nick: 'kickedJ', by: 'Kora' });
    expect(await owner.next('left')).toMatchObject({ nick: 'kickedJ', by: 'Kora' });
    await kicked.join('#kickjson');
    kicked.send({ type: 'part', room: '#kickjson' });
    expect(await owner.next('left')).toEqual({ type: 'left', room: '#kickjson', nick: 'kickedJ' });
  });
});

describe('roles and logins', () => {
  it('a member logging in to an account that holds a role gets it as a MODE from the server and a role event; dropping the account takes it', async () => {
    const owner = await account('Lyra');
    await owner.join('#logroles');
    // The account to be voiced exists, with nobody logged in to it.
    const registrant = await account('Voxlog');
    registrant.close();
    await registrant.closedPromise;
    await ask(owner, { type: 'role', room: '#logroles', account: 'voxlog', role: 'voice' });
    const watcher = await irc('watchL');
    await watcher.requestCaps('account-notify');
    await watcher.join('#logroles');
    const peer = await json('peerL');
    await peer.join('#logroles');
    const comer = await json('comerL');
    await comer.join('#logroles');
    expect(await names(watcher, '#logroles')).toEqual(['@Lyra', 'comerL', 'peerL', 'watchL']);

    const aboutVoxlog = (m: ServerMessage) => m.type === 'role' && m.nick === 'Voxlog';
    const modeOf = (m: ParsedMessage) => m.verb === 'MODE' && m.params[2] === 'Voxlog';
    comer.send({ type: 'identify', account: 'voxlog', password: PASSWORD, ref: 'i' });
    expect(await watcher.next('NICK')).toMatchObject({ source: 'comerL!~u@chat', params: ['Voxlog'] });
    expect(await watcher.next('ACCOUNT')).toMatchObject({ source: 'Voxlog!~u@chat', params: ['Voxlog'] });
    expect(await watcher.next(modeOf)).toMatchObject({ source: 'chat', params: ['#logroles', '+v', 'Voxlog'] });
    const voiced = { type: 'role', room: '#logroles', nick: 'Voxlog', role: 'voice', was: 'none' };
    expect(await peer.next(aboutVoxlog)).toEqual(voiced);
    expect(await comer.next(aboutVoxlog)).toEqual(voiced);
    await comer.next('account');
    expect(await names(watcher, '#logroles')).toEqual(['+Voxlog', '@Lyra', 'peerL', 'watchL']);
    peer.send({ type: 'who', room: '#logroles' });
    expect(await peer.next('who')).toMatchObject({ voiced: ['Voxlog'] });

    comer.send({ type: 'drop', password: PASSWORD, ref: 'd' });
    expect(await watcher.next('ACCOUNT')).toMatchObject({ source: 'Voxlog!~u@chat', params: ['*'] });
    expect(await watcher.next(modeOf)).toMatchObject({ source: 'chat', params: ['#logroles', '-v', 'Voxlog'] });
    expect(await peer.next(aboutVoxlog)).toEqual({ ...voiced, role: 'none', was: 'voice' });
    expect(await names(watcher, '#logroles')).toEqual(['@Lyra', 'Voxlog', 'peerL', 'watchL']);
  });

  it('a login to an account without a role in the room, or a room without roles, shows no MODE', async () => {
    const registrant = await account('Quietacct');
    registrant.close();
    await registrant.closedPromise;
    const owner = await account('Nyx');
    await owner.join('#quietroles');
    const watcher = await irc('watchQ');
    await watcher.join('#quietroles');
    await watcher.join('#noroles');
    const comer = await json('comerQ');
    await comer.join('#quietroles');
    await comer.join('#noroles');
    await watcher.sync();
    comer.send({ type: 'identify', account: 'quietacct', password: PASSWORD, ref: 'i' });
    await comer.next('account');
    expect((await watcher.sync()).filter((m) => m.verb === 'MODE')).toEqual([]);
    expect(comer.received.filter((m) => m.type === 'role' && m.nick === 'Quietacct')).toEqual([]);
  });
});
