/**
 * Room moderation end to end on one node: the creator owns the room and makes a friend an operator, who
 * kicks and bans a spammer (who cannot come back under another nick from the same address); mutes,
 * moderated rooms, keys, invites, limits, operator-only topics; the privacy of secret and keyed rooms;
 * and every refusal given to the user it must stop, with the ref. Policies survive a restart.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../shared/protocol.js';
import { JsonClient } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/in-process.js';
import { removeDir } from '../helpers/server.js';

const PASSWORD = 'correct horse';
const ARGS = ['--limit-exempt', '', '--operators', 'Admin'];

let server: InProcessServer;
const clients: JsonClient[] = [];
let address = 10;

/** A user from its own loopback address; `register` makes it an account. */
async function user(nick: string, opts: { register?: boolean; target?: InProcessServer; from?: string } = {}): Promise<JsonClient> {
  const c = await JsonClient.from((opts.target ?? server).tcpPort, opts.from ?? `127.0.3.${address++}`, nick);
  clients.push(c);
  if (opts.register) {
    c.send({ type: 'register', password: PASSWORD });
    await c.next('account');
  }
  return c;
}

const join = (c: JsonClient, room: string, key?: string) => c.join(room, key);

async function say(c: JsonClient, room: string, text: string): Promise<ServerMessage> {
  c.send({ type: 'say', room, text, ref: text });
  return c.next((m) => (m.type === 'ack' || m.type === 'error') && m.ref === text);
}

/** Sends a request and takes its answer: a message with its ref, or (history, who, rooms carry none) the next of `type` for its room. */
async function ask(c: JsonClient, message: Record<string, unknown>, type: ServerMessage['type'] = 'notice'): Promise<ServerMessage> {
  const ref = `r${Math.random()}`;
  c.send({ ...message, ref });
  return c.next((m) => ('ref' in m && m.ref === ref)
    || (m.type === type && !('ref' in m) && (!('room' in m) || m.room === message.room)));
}

beforeAll(async () => { server = await startInProcess({ args: ARGS }); });
afterEach(() => { for (const c of clients.splice(0)) c.close(); });
afterAll(async () => { await server.server.stop(); removeDir(server.dataDir); });

describe('room moderation', () => {
  it('the creator owns the room, makes a friend operator; the friend kicks and bans a spammer, who cannot come back under another nick', async () => {
    const olive = await user('Olive', { register: true });
    const fred = await user('Fred', { register: true });
    const spam = await user('Spam', { from: '127.0.4.1' });
    const bea = await user('Bea');
    await join(olive, '#den');
    for (const c of [fred, spam, bea]) expect(await join(c, '#den')).toMatchObject({ type: 'who' });

    // Before any role, the spammer and the friend are refused every operator command.
    for (const c of [spam, fred]) {
      for (const m of [
        { type: 'kick', room: '#den', nick: 'Bea' }, { type: 'ban', room: '#den', mask: 'Bea' }, { type: 'mute', room: '#den', mask: 'Bea' },
        { type: 'role', room: '#den', account: 'Fred', role: 'op' }, { type: 'invite', room: '#den', nick: 'Bea' },
        { type: 'settings', room: '#den', moderated: true }, { type: 'bans', room: '#den' },
      ]) {
        expect(await ask(c, m), m.type).toMatchObject({ type: 'error', code: 'NOT_OPERATOR' });
      }
    }

    expect(await ask(olive, { type: 'role', room: '#den', account: 'fred', role: 'op' })).toMatchObject({ type: 'notice', text: 'Fred is now an operator in #den' });
    expect(await bea.next('moderation')).toMatchObject({ room: '#den', by: 'Olive', action: 'op', detail: 'Fred' });
    // An operator may not make operators; only the owner may.
    expect(await ask(fred, { type: 'role', room: '#den', account: 'Olive', role: 'none' })).toMatchObject({ code: 'NOT_OPERATOR' });
    expect(await ask(fred, { type: 'kick', room: '#den', nick: 'Olive' })).toMatchObject({ code: 'NOT_OPERATOR' });

    expect(await ask(fred, { type: 'kick', room: '#den', nick: 'spam', reason: 'stop it' })).toMatchObject({ type: 'notice' });
    expect(await bea.next((m) => m.type === 'left' && m.nick === 'Spam')).toMatchObject({ reason: 'kicked by Fred: stop it' });
    expect(await spam.next((m) => m.type === 'left' && m.nick === 'Spam')).toMatchObject({ room: '#den' });
    expect(await join(spam, '#den')).toMatchObject({ type: 'who' }); // a kick is not a ban

    const banned = await ask(fred, { type: 'ban', room: '#den', mask: 'Spam', reason: 'spam' }, 'bans');
    expect(banned).toMatchObject({ type: 'bans', room: '#den', bans: [{ mask: 'spam', by: 'Fred', reason: 'spam' }] });
    expect(await bea.next((m) => m.type === 'left' && m.nick === 'Spam')).toMatchObject({ reason: 'banned: spam' });
    expect(await join(spam, '#den')).toMatchObject({ type: 'error', code: 'BANNED', message: 'you are banned from #den: spam' });
    // Another nick from the same address is still the spammer.
    spam.send({ type: 'nick', nick: 'Innocent' });
    await spam.next('nick');
    await expect.poll(async () => (await join(spam, '#den')).type).toBe('error');
    expect(await join(spam, '#den')).toMatchObject({ code: 'BANNED' });
    const again = await user('Fresh', { from: '127.0.4.1' });
    expect(await join(again, '#den')).toMatchObject({ code: 'BANNED' });
    // A banned user cannot read the room from outside either, while anyone else can (it is public).
    expect(await ask(again, { type: 'history', room: '#den' })).toMatchObject({ type: 'error', code: 'NOT_IN_ROOM' });
    const outsider = await user('Outsider');
    expect(await ask(outsider, { type: 'history', room: '#den' }, 'history')).toMatchObject({ type: 'history', room: '#den' });

    // The operator sees the list without addresses; unban lets them back.
    expect(await ask(fred, { type: 'unban', room: '#den', mask: 'spam' }, 'bans')).toMatchObject({ type: 'bans', bans: [] });
    expect(await join(again, '#den')).toMatchObject({ type: 'who' });
  });

  it('mutes and moderated rooms stop speech; voice and operators speak; topic by operators only', async () => {
    const olive = await user('Owl', { register: true });
    const vic = await user('Vic', { register: true });
    const gus = await user('Gus');
    for (const c of [olive, vic, gus]) await join(c, '#talk');
    expect(await ask(olive, { type: 'mute', room: '#talk', mask: 'Gus', duration: 3600, reason: 'cool down' }, 'bans'))
      .toMatchObject({ type: 'bans', bans: [{ mask: 'gus', reason: 'cool down', expires: expect.any(Number) }] });
    expect(await say(gus, '#talk', 'hello?')).toMatchObject({ type: 'error', code: 'MUTED', message: 'you are muted in #talk' });
    await ask(olive, { type: 'unmute', room: '#talk', mask: 'gus' }, 'bans');
    expect(await say(gus, '#talk', 'thanks')).toMatchObject({ type: 'ack' });

    expect(await ask(olive, { type: 'settings', room: '#talk', moderated: true, topicOps: true })).toMatchObject({ text: '#talk is now moderated, topic by operators' });
    expect(await gus.next((m) => m.type === 'moderation' && m.action === 'settings')).toMatchObject({ detail: 'moderated, topic by operators' });
    expect(await say(gus, '#talk', 'can I?')).toMatchObject({ code: 'MUTED', message: '#talk is moderated: only its operators and voiced users speak' });
    expect(await say(vic, '#talk', 'me neither')).toMatchObject({ code: 'MUTED' });
    expect(await ask(olive, { type: 'role', room: '#talk', account: 'Gus', role: 'voice' })).toMatchObject({ code: 'NO_SUCH_USER' });
    await ask(olive, { type: 'role', room: '#talk', account: 'Vic', role: 'voice' });
    expect(await say(vic, '#talk', 'voiced now')).toMatchObject({ type: 'ack' });
    expect(await say(olive, '#talk', 'owner speaks')).toMatchObject({ type: 'ack' });
    expect(await ask(gus, { type: 'topic', room: '#talk', topic: 'mine' })).toMatchObject({ code: 'NOT_OPERATOR' });
    olive.send({ type: 'topic', room: '#talk', topic: 'rules' });
    expect(await gus.next('topic')).toMatchObject({ topic: 'rules', by: 'Owl' });
  });

  it('a key, an invite-only room and a limit keep people out; an invite lets one in once', async () => {
    const olive = await user('Key', { register: true });
    await join(olive, '#vault');
    await ask(olive, { type: 'settings', room: '#vault', key: 'sesame' });
    const nina = await user('Nina');
    expect(await join(nina, '#vault')).toMatchObject({ code: 'BAD_KEY', message: '#vault needs a key: join #vault <key>' });
    expect(await join(nina, '#vault', 'guess')).toMatchObject({ code: 'BAD_KEY', message: 'wrong key for #vault' });
    // Not public any more: outsiders cannot read it.
    expect(await ask(nina, { type: 'who', room: '#vault' })).toMatchObject({ code: 'NOT_IN_ROOM' });
    expect(await join(nina, '#vault', 'sesame')).toMatchObject({ type: 'who' });

    await ask(olive, { type: 'settings', room: '#vault', key: '', inviteOnly: true, limit: 3 });
    const ivan = await user('Ivan');
    expect(await join(ivan, '#vault')).toMatchObject({ code: 'INVITE_ONLY' });
    expect(await ask(olive, { type: 'invite', room: '#vault', nick: 'ivan' })).toMatchObject({ text: 'ivan is invited to #vault' });
    expect(await ivan.next('invited')).toEqual({ type: 'invited', room: '#vault', by: 'Key' });
    expect(await join(ivan, '#vault')).toMatchObject({ type: 'who' });
    ivan.send({ type: 'part', room: '#vault' });
    await ivan.next((m) => m.type === 'left' && m.nick === 'Ivan');
    // The invite was used up.
    await expect.poll(async () => ((await join(ivan, '#vault')) as { code?: string }).code).toBe('INVITE_ONLY');

    await ask(olive, { type: 'settings', room: '#vault', inviteOnly: false });
    const third = await user('Third');
    expect(await join(third, '#vault')).toMatchObject({ type: 'who' });
    expect(await join(ivan, '#vault')).toMatchObject({ code: 'ROOM_FULL', message: '#vault is full (its limit is 3)' });
  });

  it('a secret room is invisible to outsiders: not listed, and who and history look empty', async () => {
    const sam = await user('Sam', { register: true });
    await join(sam, '#hush');
    await say(sam, '#hush', 'secret words');
    await ask(sam, { type: 'settings', room: '#hush', secret: true });
    const out = await user('Nosy');
    expect(await ask(out, { type: 'who', room: '#hush' }, 'who')).toMatchObject({ type: 'who', users: [], total: 0 });
    expect(await ask(out, { type: 'history', room: '#hush' }, 'history')).toMatchObject({ type: 'history', messages: [], more: false });
    const list = await ask(out, { type: 'rooms' }, 'rooms');
    expect(list.type === 'rooms' && list.rooms.map((r) => r.name)).not.toContain('#hush');
    expect(list.type === 'rooms' && list.rooms.map((r) => r.name)).toContain('#lobby');
    // The member still reads it.
    expect(await ask(sam, { type: 'history', room: '#hush' }, 'history')).toMatchObject({ messages: [{ text: 'secret words' }] });
  });

  it('server operators act as operators of every room; #lobby has no owner', async () => {
    const admin = await user('Admin', { register: true });
    const pest = await user('Pest');
    const first = await user('Firsty', { register: true });
    await join(first, '#owned');
    await join(pest, '#owned');
    await join(admin, '#owned');
    expect(await ask(admin, { type: 'kick', room: '#owned', nick: 'Firsty' })).toMatchObject({ type: 'notice' });
    expect(await ask(pest, { type: 'kick', room: '#lobby', nick: 'Admin' })).toMatchObject({ code: 'NOT_OPERATOR' });
    expect(await ask(admin, { type: 'kick', room: '#lobby', nick: 'Pest' })).toMatchObject({ type: 'notice' });
  });

  it('bad targets are refused with the ref', async () => {
    const o = await user('Boss', { register: true });
    await join(o, '#t');
    expect(await ask(o, { type: 'ban', room: '#t', mask: '1.2.3.4/99' })).toMatchObject({ code: 'BAD_MESSAGE' });
    expect(await ask(o, { type: 'ban', room: '#t', mask: 'no spaces' })).toMatchObject({ code: 'BAD_MESSAGE' });
    expect(await ask(o, { type: 'unban', room: '#t', mask: 'nobody' })).toMatchObject({ code: 'BAD_MESSAGE', message: 'nobody is not banned in #t' });
    expect(await ask(o, { type: 'kick', room: '#t', nick: 'Ghost' })).toMatchObject({ code: 'NO_SUCH_USER' });
    expect(await ask(o, { type: 'kick', room: '#elsewhere', nick: 'Ghost' })).toMatchObject({ code: 'NOT_IN_ROOM' });
  });
});

describe('room policies are kept', () => {
  it('across a restart, with the moderation log', async () => {
    const s = await startInProcess({ args: ARGS });
    const owner = await user('Keeper', { register: true, target: s });
    await join(owner, '#kept');
    const pest = await user('Pesky', { target: s, from: '127.0.5.5' });
    await join(pest, '#kept');
    await ask(owner, { type: 'ban', room: '#kept', mask: 'Pesky' }, 'bans');
    await pest.next((m) => m.type === 'left' && m.nick === 'Pesky');
    owner.close();
    pest.close();
    // The ban learned the guest's address before the restart.
    await expect.poll(async () => {
      const c = await user('Probe', { target: s, from: '127.0.5.5' });
      const answer = await join(c, '#kept');
      c.close();
      return answer.type === 'error' && answer.code;
    }).toBe('BANNED');
    await s.server.stop();

    const db = new Database(path.join(s.dataDir, 'chat.db'), { readonly: true });
    const log = db.prepare("SELECT value FROM registry WHERE kind = 'modlog' ORDER BY key").all() as Array<{ value: string }>;
    db.close();
    expect(log.map((r) => JSON.parse(r.value) as Record<string, unknown>)).toContainEqual(expect.objectContaining({ action: 'ban', room: '#kept', by: 'Keeper' }));

    const again = await startInProcess({ dataDir: s.dataDir, args: ARGS });
    try {
      const back = await user('Another', { target: again, from: '127.0.5.5' });
      expect(await join(back, '#kept')).toMatchObject({ code: 'BANNED' });
      const keeper = await JsonClient.tcp(again.tcpPort, '127.0.5.9');
      clients.push(keeper);
      keeper.send({ type: 'hello', nick: 'Keeper', password: PASSWORD });
      await keeper.next((m) => m.type === 'who' && m.room === '#lobby');
      await join(keeper, '#kept');
      expect(await ask(keeper, { type: 'bans', room: '#kept' }, 'bans')).toMatchObject({ bans: [{ mask: 'pesky' }] });
    } finally {
      await again.server.stop();
      removeDir(s.dataDir);
    }
  });
});
