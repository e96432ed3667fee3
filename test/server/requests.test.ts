/** Every request type and its answers, end to end over WebSocket and TCP JSON lines. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonClient } from '../helpers/clients.js';
import { removeDir, startServer, type RunningServer } from '../helpers/server.js';

let server: RunningServer;
beforeAll(async () => { server = await startServer(); });
afterAll(async () => { await server.stop(); removeDir(server.dataDir); });

describe.each(['ws', 'tcp'] as const)('requests over %s', (kind) => {
  const target = () => (kind === 'ws' ? server.wsUrl : server.tcpPort);
  const connect = (nick: string) => JsonClient.registered(kind, target(), nick);
  const p = (nick: string) => `${nick}${kind}`;

  it('hello answers welcome and joins #lobby with history and who', async () => {
    const c = kind === 'ws' ? await JsonClient.ws(server.wsUrl) : await JsonClient.tcp(server.tcpPort);
    c.send({ type: 'hello', nick: p('Hal'), client: 'test' });
    const welcome = await c.next('welcome');
    // The default flood budget, so the client can pace itself under it.
    expect(welcome).toMatchObject({ type: 'welcome', nick: p('Hal'), server: 'chat', version: 1, limits: { rate: 20, burst: 40 } });
    expect(welcome.type === 'welcome' && welcome.sid.length).toBeGreaterThan(5);
    expect(await c.next('joined')).toMatchObject({ room: '#lobby', nick: p('Hal') });
    expect(await c.next('history')).toMatchObject({ room: '#lobby', more: false });
    const who = await c.next('who');
    expect(who.type === 'who' && who.users).toContain(p('Hal'));
    c.close();
  });

  it('join, say with ack, part: every member sees joined, message and left', async () => {
    const a = await connect(p('ann'));
    const b = await connect(p('ben'));
    const room = `#r-${kind}`;
    a.send({ type: 'join', room: room.slice(1) });
    await a.next((m) => m.type === 'joined' && m.room === room);
    expect(await a.next('history')).toMatchObject({ room, messages: [], more: false });
    expect(await a.next((m) => m.type === 'who' && m.room === room)).toMatchObject({ users: [p('ann')] });
    b.send({ type: 'join', room });
    expect(await a.next((m) => m.type === 'joined' && m.room === room)).toMatchObject({ nick: p('ben') });
    await b.next((m) => m.type === 'who' && m.room === room);

    a.send({ type: 'say', room, text: 'hello 👋', ref: 'r1' });
    const ack = await a.next('ack');
    const seen = await b.next('message');
    expect(seen).toMatchObject({ room, from: p('ann'), text: 'hello 👋', seq: 1 });
    expect(ack).toMatchObject({ ref: 'r1', seq: 1 });
    expect(ack.type === 'ack' && seen.type === 'message' && ack.id === seen.id).toBe(true);
    expect(await a.next('message')).toMatchObject({ text: 'hello 👋' });

    a.send({ type: 'say', room, text: 'waves', action: true });
    expect(await b.next('message')).toMatchObject({ text: 'waves', action: true, seq: 2 });

    b.send({ type: 'part', room, reason: 'bye now' });
    expect(await a.next((m) => m.type === 'left' && m.room === room)).toMatchObject({ nick: p('ben'), reason: 'bye now' });
    expect(await b.next((m) => m.type === 'left' && m.room === room)).toMatchObject({ nick: p('ben') });
    b.send({ type: 'say', room, text: 'still here?', ref: 'x' });
    expect(await b.error('NOT_IN_ROOM')).toMatchObject({ ref: 'x' });
    a.close(); b.close();
  });

  it('dm reaches the target and echoes to the sender with ref; unknown nick is NO_SUCH_USER', async () => {
    const a = await connect(p('dmA'));
    const b = await connect(p('dmB'));
    a.send({ type: 'dm', to: p('dmb'), text: 'psst', ref: 'd1' });
    expect(await b.next('dm')).toMatchObject({ from: p('dmA'), to: p('dmB'), text: 'psst' });
    expect(await a.next('dm')).toMatchObject({ from: p('dmA'), to: p('dmB'), ref: 'd1' });
    a.send({ type: 'dm', to: 'nobodyhere', text: 'hi', ref: 'd2' });
    expect(await a.error('NO_SUCH_USER')).toMatchObject({ ref: 'd2' });
    a.close(); b.close();
  });

  it('nick change reaches room mates; a taken nick is NICK_TAKEN, a bad one NICK_INVALID', async () => {
    const a = await connect(p('nA'));
    const b = await connect(p('nB'));
    a.send({ type: 'nick', nick: p('nA2') });
    expect(await b.next('nick')).toMatchObject({ old: p('nA'), new: p('nA2') });
    expect(await a.next('nick')).toMatchObject({ old: p('nA'), new: p('nA2') });
    a.send({ type: 'nick', nick: p('NB') });
    await a.error('NICK_TAKEN');
    a.send({ type: 'nick', nick: '9lives' });
    await a.error('NICK_INVALID');
    // The old nick is free again.
    const c = await connect(p('nA'));
    c.close(); a.close(); b.close();
  });

  it('hello with a taken nick is NICK_TAKEN and the connection can retry', async () => {
    const a = await connect(p('Dup'));
    const c = kind === 'ws' ? await JsonClient.ws(server.wsUrl) : await JsonClient.tcp(server.tcpPort);
    c.send({ type: 'hello', nick: p('dup') });
    await c.error('NICK_TAKEN');
    c.send({ type: 'hello', nick: 'bad nick' });
    await c.error('NICK_INVALID');
    c.send({ type: 'hello', nick: p('dup2') });
    await c.next('welcome');
    c.send({ type: 'hello', nick: p('dup3') });
    await c.error('ALREADY_REGISTERED');
    a.close(); c.close();
  });

  it('topic, who, rooms, history paging, ping', async () => {
    const a = await connect(p('tA'));
    const room = `#t-${kind}`;
    a.send({ type: 'join', room });
    expect(await a.next((m) => m.type === 'history' && m.room === room)).toMatchObject({ messages: [], more: false });
    await a.next((m) => m.type === 'who' && m.room === room);
    a.send({ type: 'topic', room, topic: 'plans' });
    expect(await a.next('topic')).toMatchObject({ room, topic: 'plans', by: p('tA') });
    a.send({ type: 'who', room });
    expect(await a.next((m) => m.type === 'who' && m.room === room)).toEqual({ type: 'who', room, users: [p('tA')], total: 1, topic: 'plans' });
    // A joiner learns the topic from its who.
    const b = await connect(p('tB'));
    expect(await b.join(room)).toEqual({ type: 'who', room, users: [p('tA'), p('tB')], total: 2, topic: 'plans' });
    b.close();
    await a.next((m) => m.type === 'left' && m.nick === p('tB'));
    a.send({ type: 'rooms' });
    const rooms = await a.next('rooms');
    expect(rooms.type === 'rooms' && rooms.rooms.find((r) => r.name === room)).toEqual({ name: room, users: 1, topic: 'plans' });
    for (let i = 1; i <= 5; i++) a.send({ type: 'say', room, text: `m${i}`, ref: `h${i}` });
    await a.next((m) => m.type === 'ack' && m.ref === 'h5');
    a.send({ type: 'history', room, limit: 2 });
    expect(await a.next('history')).toMatchObject({ messages: [{ text: 'm4', seq: 4 }, { text: 'm5', seq: 5 }], more: true });
    a.send({ type: 'history', room, before: 4, limit: 10 });
    const older = await a.next('history');
    expect(older.type === 'history' && older.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(older).toMatchObject({ more: false });
    a.send({ type: 'topic', room: '#elsewhere', topic: 'x' });
    await a.error('NOT_IN_ROOM');
    a.send({ type: 'ping', ref: 'p1' });
    expect(await a.next('pong')).toEqual({ type: 'pong', ref: 'p1' });
    a.close();
  });

  it('anything before hello is NOT_REGISTERED; quit sends bye, closes, and others see left', async () => {
    const c = kind === 'ws' ? await JsonClient.ws(server.wsUrl) : await JsonClient.tcp(server.tcpPort);
    c.send({ type: 'join', room: '#x', ref: 'early' });
    expect(await c.error('NOT_REGISTERED')).toMatchObject({ ref: 'early' });
    c.send({ type: 'ping' });
    await c.next('pong');
    const watcher = await connect(p('watch'));
    c.send({ type: 'hello', nick: p('leaver') });
    await c.next('who');
    c.send({ type: 'quit', reason: 'gone fishing' });
    expect(await c.next('bye')).toEqual({ type: 'bye', reason: 'quit' });
    await c.closedPromise;
    expect(await watcher.next((m) => m.type === 'left' && m.nick === p('leaver'))).toEqual({ type: 'left', room: '#lobby', nick: p('leaver'), reason: 'gone fishing', quit: true });
    watcher.close();
  });

  it('a part is not a quit; a closed connection is; hello{lobby: false} joins no room', async () => {
    const watcher = await connect(p('eye'));
    const c = kind === 'ws' ? await JsonClient.ws(server.wsUrl) : await JsonClient.tcp(server.tcpPort);
    c.send({ type: 'hello', nick: p('roamer'), lobby: false });
    expect(await c.next('welcome')).toMatchObject({ nick: p('roamer') });
    expect(await c.join('#lobby')).toMatchObject({ type: 'who' });
    expect(c.received.filter((m) => m.type === 'joined')).toHaveLength(1);
    c.send({ type: 'part', room: '#lobby', reason: 'brb' });
    expect(await watcher.next((m) => m.type === 'left' && m.nick === p('roamer'))).toEqual({ type: 'left', room: '#lobby', nick: p('roamer'), reason: 'brb' });
    expect(await c.join('#lobby')).toMatchObject({ type: 'who' });
    c.close();
    expect(await watcher.next((m) => m.type === 'left' && m.nick === p('roamer'))).toMatchObject({ quit: true });
    watcher.close();
  });
});

describe('mixed transports', () => {
  it('ws and tcp clients in one room see each other', async () => {
    const w = await JsonClient.registered('ws', server.wsUrl, 'mixW');
    const t = await JsonClient.registered('tcp', server.tcpPort, 'mixT');
    w.send({ type: 'join', room: '#mixed' });
    t.send({ type: 'join', room: '#mixed' });
    await t.next((m) => m.type === 'who' && m.room === '#mixed');
    t.send({ type: 'say', room: '#mixed', text: 'from tcp' });
    w.send({ type: 'say', room: '#mixed', text: 'from ws' });
    const wSeen = [await w.next('message'), await w.next('message')];
    const tSeen = [await t.next('message'), await t.next('message')];
    expect(wSeen).toEqual(tSeen);
    expect(wSeen.map((m) => m.type === 'message' && m.text).sort()).toEqual(['from tcp', 'from ws']);
    w.close(); t.close();
  });
});
