/** Connection limit, registration timeout, flood control, and a slow-speaking JSON client. */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { JsonClient } from '../helpers/clients.js';
import { startInProcess } from '../helpers/in-process.js';
import { removeDir, serverPool } from '../helpers/server.js';

const serverWith = serverPool();

describe('limits', () => {
  it('past --max-connections a new client gets SERVER_FULL and bye; existing ones are untouched', async () => {
    const s = await serverWith(['--max-connections', '2']);
    const a = await JsonClient.registered('ws', s.wsUrl, 'one');
    const b = await JsonClient.registered('tcp', s.tcpPort, 'two');
    const c = await JsonClient.ws(s.wsUrl);
    await c.error('SERVER_FULL');
    expect(await c.next('bye')).toEqual({ type: 'bye', reason: 'server full' });
    await c.closedPromise;
    const d = await JsonClient.tcp(s.tcpPort);
    d.send({ type: 'hello', nick: 'three' });
    await d.error('SERVER_FULL');
    await d.closedPromise;
    a.send({ type: 'say', room: '#lobby', text: 'still here' });
    expect(await b.next('message')).toMatchObject({ text: 'still here' });
    b.close();
    await a.next('left');
    const e = await JsonClient.registered('ws', s.wsUrl, 'four');
    a.close(); e.close();
  });

  it('past --max-connections and a margin, a new socket is refused with SERVER_FULL at once; registered clients are untouched', async () => {
    const s = await serverWith(['--max-connections', '2']);
    const a = await JsonClient.registered('tcp', s.tcpPort, 'holder');
    const open = (): Promise<net.Socket> => new Promise((resolve, reject) => {
      const socket = net.connect(s.tcpPort, '127.0.0.1', () => resolve(socket));
      socket.on('error', reject);
    });
    // The cap is the limit plus max(64, 10 %): 66 sockets, one of them the registered client.
    const silent: net.Socket[] = [];
    for (let i = 0; i < 65; i++) silent.push(await open());
    // It is answered before it says anything, and closed.
    const extra = await JsonClient.tcp(s.tcpPort);
    expect(await extra.error('SERVER_FULL')).toMatchObject({ message: 'the server is full; try again later' });
    expect(await extra.next('bye')).toEqual({ type: 'bye', reason: 'server full' });
    await extra.closedPromise;
    // The silent ones are still held, and the registered client still works.
    expect(silent.every((x) => !x.destroyed)).toBe(true);
    a.send({ type: 'ping', ref: 'p' });
    expect(await a.next('pong')).toMatchObject({ ref: 'p' });
    for (const x of silent) x.destroy();
    a.close();
  });

  it('a connection that never says hello gets bye and is closed after --registration-timeout', async () => {
    const s = await serverWith(['--registration-timeout', '1']);
    const ws = await JsonClient.ws(s.wsUrl);
    const tcp = await JsonClient.tcp(s.tcpPort);
    tcp.send({ type: 'ping' });
    await tcp.next('pong');
    expect(await ws.next('bye', 3000)).toEqual({ type: 'bye', reason: 'registration timeout' });
    expect(await tcp.next('bye', 3000)).toEqual({ type: 'bye', reason: 'registration timeout' });
    await Promise.all([ws.closedPromise, tcp.closedPromise]);
    const silent = net.connect(s.tcpPort, '127.0.0.1');
    let text = '';
    silent.on('data', (d) => { text += d.toString(); });
    await new Promise((resolve) => silent.on('close', resolve));
    expect(text).toContain('Choose a nick');
    expect(text).toContain('*** bye: registration timeout');
    const registered = await JsonClient.registered('ws', s.wsUrl, 'intime');
    expect(await registered.none('bye', 1500)).toBe(true);
    registered.close();
  });

  it('flood control first delays what is over the rate, then refuses with RATE_LIMITED, and closes a flooder with bye', async () => {
    // The rate buckets run on a clock the test moves: a loaded machine reading the twenty pings in
    // several chunks must not refill the budget between them.
    let now = 0;
    const s = await startInProcess({ args: ['--rate-limit', '5', '--rate-burst', '5', '--abuse-strikes', '20'], internal: { rateClock: () => now } });
    try {
      const a = await JsonClient.registered('tcp', s.tcpPort, 'eager');
      const watcher = await JsonClient.registered('ws', s.wsUrl, 'calm');
      a.sendRaw(Array.from({ length: 20 }, (_, i) => `${JSON.stringify({ type: 'ping', ref: `p${i}` })}\n`).join(''));
      const answers: string[] = [];
      const answer = async () => {
        const m = await a.next((x) => x.type === 'pong' || x.type === 'error');
        answers.push(m.type === 'pong' ? m.ref! : m.type === 'error' ? `${m.code} ${m.ref}` : '?');
      };
      // The budget (the burst less the hello and the bytes read) pays for three at once; a burst more
      // waits for the budget to refill; the other twelve are refused at once, each naming its ping.
      for (let i = 0; i < 15; i++) await answer();
      expect(answers).toEqual([
        'p0', 'p1', 'p2',
        ...Array.from({ length: 12 }, (_, i) => `RATE_LIMITED p${i + 8}`),
      ]);
      now += 1000;
      for (let i = 0; i < 5; i++) await answer();
      expect(answers.slice(15)).toEqual(['p3', 'p4', 'p5', 'p6', 'p7']);
      now += 1000;
      a.send({ type: 'ping', ref: 'later' });
      expect(await a.next('pong')).toEqual({ type: 'pong', ref: 'later' });
      a.sendRaw(Array.from({ length: 40 }, (_, i) => `${JSON.stringify({ type: 'say', room: '#lobby', text: `spam ${i}` })}\n`).join(''));
      expect(await a.next('bye')).toEqual({ type: 'bye', reason: 'flood' });
      await a.closedPromise;
      expect(await watcher.next((m) => m.type === 'left' && m.nick === 'eager')).toMatchObject({ reason: 'flood' });
      watcher.send({ type: 'ping', ref: 'fine' });
      await watcher.next('pong');
      watcher.close();
    } finally {
      await s.server.stop();
      removeDir(s.dataDir);
    }
  });

  it('a JSON client that speaks only after the text banner still gets JSON', async () => {
    const s = await serverWith([]);
    const c = await JsonClient.tcp(s.tcpPort);
    // Silent until the server has decided it may be a person and shown the text banner.
    await new Promise<void>((resolve) => {
      let seen = '';
      const onData = (chunk: string) => {
        seen += chunk;
        if (!seen.includes('Choose a nick: ')) return;
        c.socket.off('data', onData);
        resolve();
      };
      c.socket.on('data', onData);
    });
    c.send({ type: 'hello', nick: 'latecomer' });
    expect(await c.next('welcome')).toMatchObject({ nick: 'latecomer' });
    c.close();
  });
});

describe('liveness', () => {
  it('a WebSocket peer that stops answering pings is dropped and others see it leave', async () => {
    const s = await serverWith(['--ping-interval', '1']);
    const watcher = await JsonClient.registered('tcp', s.tcpPort, 'watcher');
    // A hand-made WebSocket client that registers and then never reads again, so it answers no ping.
    const socket = net.connect(s.wsPort, '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
      + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    await new Promise((resolve) => socket.once('data', resolve));
    const payload = Buffer.from('{"type":"hello","nick":"ghost"}');
    const mask = Buffer.from([1, 2, 3, 4]);
    const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
    socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
    expect(await watcher.next((m) => m.type === 'joined' && m.nick === 'ghost')).toBeTruthy();
    socket.pause();
    const left = await watcher.next((m) => m.type === 'left' && m.nick === 'ghost', 5000);
    expect(left).toMatchObject({ room: '#lobby', reason: 'connection closed' });
    socket.destroy();
    watcher.close();
  });
});
