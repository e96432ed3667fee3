/** Capacity limits (issue 8 item 7): each has a default, an option, and a clear error when reached. */
import { afterAll, describe, expect, it } from 'vitest';
import { JsonClient } from '../helpers/clients.js';
import { removeDir, startServer, type RunningServer } from '../helpers/server.js';

let s: RunningServer;
afterAll(async () => { await s?.stop(); removeDir(s.dataDir); });

describe('capacity limits', () => {
  it('rooms per connection, rooms in total, members per room and topic bytes each refuse with their code; nothing else changes', async () => {
    s = await startServer({ args: ['--max-rooms-per-connection', '3', '--max-rooms', '5', '--max-room-members', '2', '--max-topic-bytes', '12'] });
    const a = await JsonClient.registered('tcp', s.tcpPort, 'roomy');
    // #lobby plus two more: three rooms.
    for (const room of ['#one', '#two']) {
      a.send({ type: 'join', room });
      await a.next((m) => m.type === 'who' && m.room === room);
    }
    a.send({ type: 'join', room: '#three', ref: 'j3' });
    expect(await a.error('TOO_MANY_ROOMS')).toMatchObject({ ref: 'j3', message: expect.stringContaining('3 rooms') });
    // A rejoin is no new room.
    a.send({ type: 'join', room: '#one' });
    await a.next((m) => m.type === 'who' && m.room === '#one');

    const b = await JsonClient.registered('ws', s.wsUrl, 'other');
    b.send({ type: 'join', room: '#four' });
    await b.next((m) => m.type === 'who' && m.room === '#four');
    // #lobby is full too: the third user registers, told so, and is in no room.
    const c = await JsonClient.tcp(s.tcpPort);
    c.send({ type: 'hello', nick: 'third' });
    await c.next('welcome');
    expect(await c.error('ROOM_FULL')).toMatchObject({ message: '#lobby is full (2 members)' });
    c.send({ type: 'join', room: '#five' });
    await c.next((m) => m.type === 'who' && m.room === '#five');
    // #lobby #one #two #four #five: the server is at five rooms; an existing one may still be joined.
    c.send({ type: 'join', room: '#six', ref: 'j6' });
    expect(await c.error('TOO_MANY_ROOMS')).toMatchObject({ ref: 'j6', message: expect.stringContaining('maximum of 5 rooms') });

    // #one has roomy; other makes two; a third member is refused.
    b.send({ type: 'join', room: '#one' });
    await b.next((m) => m.type === 'who' && m.room === '#one');
    c.send({ type: 'join', room: '#one', ref: 'full' });
    expect(await c.error('ROOM_FULL')).toMatchObject({ ref: 'full', message: '#one is full (2 members)' });

    // Twelve bytes: four emoji (16 bytes) are too long although they are only four characters.
    a.send({ type: 'topic', room: '#one', topic: '😀😀😀😀', ref: 't1' });
    expect(await a.error('TEXT_INVALID')).toMatchObject({ ref: 't1', message: 'topic is over 12 bytes' });
    a.send({ type: 'topic', room: '#one', topic: '😀😀😀' });
    expect(await b.next('topic')).toMatchObject({ room: '#one', topic: '😀😀😀', by: 'roomy' });

    // Every refusal left the connection working.
    for (const x of [a, b, c]) {
      x.send({ type: 'ping', ref: 'ok' });
      expect(await x.next('pong')).toEqual({ type: 'pong', ref: 'ok' });
      x.close();
    }
  });

  it('the defaults are sane and shown in --help', async () => {
    const { spawnSync } = await import('node:child_process');
    const { SERVER_MAIN } = await import('../helpers/server.js');
    const help = spawnSync(process.execPath, [SERVER_MAIN, '--help'], { encoding: 'utf8' }).stdout;
    expect(help).toMatch(/--max-rooms\s.*default 10000/);
    expect(help).toMatch(/--max-rooms-per-connection\s.*default 50/);
    expect(help).toMatch(/--max-room-members\s.*default 100000/);
    expect(help).toMatch(/--max-topic-bytes\s.*default 1000/);
    expect(help).toMatch(/--room-rate\s.*default 262144/);
  });
});
