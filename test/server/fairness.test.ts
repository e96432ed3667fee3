/**
 * Attack report rows 5-7: traffic aimed at one user, a flooded room, and input that makes nothing. The
 * victims and bystanders are readers that keep up; they are never dropped, whatever the others do.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { Bystander, serverCpuWhileStreaming } from '../helpers/bystander.js';
import { JsonClient } from '../helpers/clients.js';
import { serverPool } from '../helpers/server.js';
import { SlowReader } from '../helpers/slow-reader.js';

const serverWith = serverPool();

/** Sends `count` messages from `client` at `perSecond`, then waits until each got an answer or the client is gone. */
async function sendAtRate(client: JsonClient, count: number, perSecond: number, make: (i: number) => object & { ref: string }): Promise<void> {
  let i = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (i >= count || client.closed) {
        clearInterval(timer);
        resolve();
        return;
      }
      client.send(make(i++));
    }, 1000 / perSecond);
  });
  for (let k = 0; k < i && !client.closed; k++) {
    await client.next((m) => (m.type === 'error' || m.type === 'dm' || m.type === 'ack') && 'ref' in m && m.ref === `x${k}`, 15_000)
      .catch(() => undefined);
  }
}

describe('DMs aimed at one user (row 5)', () => {
  it('ten senders at the allowed rate cannot get a reading user dropped; they are refused instead', async () => {
    const s = await serverWith(['--max-buffered-bytes', String(256 * 1024)]);
    // An 8 Mbit/s link: about 1 MB/s. The senders together offer about three times that.
    const victim = await SlowReader.connect(s.tcpPort, 'victim', 1_000_000);
    await expect.poll(() => victim.messages().some((m) => m.type === 'welcome')).toBe(true);
    const attackers = await Promise.all(Array.from({ length: 10 }, (_, i) => JsonClient.registered('tcp', s.tcpPort, `sender${i}`)));
    const text = '😀'.repeat(4000);
    await Promise.all(attackers.map((a) => sendAtRate(a, 40, 19, (i) => ({ type: 'dm', to: 'victim', text, ref: `x${i}` }))));
    const refused = attackers.flatMap((a) => a.received).filter((m) => m.type === 'error' && m.code === 'RATE_LIMITED');
    expect(refused.length).toBeGreaterThan(0);

    victim.speedUp();
    // The victim is still here and still answers.
    victim.socket.write(`${JSON.stringify({ type: 'ping', ref: 'alive' })}\n`);
    await expect.poll(() => victim.messages().some((m) => m.type === 'pong' && m.ref === 'alive'), { timeout: 15_000 }).toBe(true);
    expect(victim.closed).toBe(false);
    expect(victim.messages().some((m) => m.type === 'bye')).toBe(false);
    for (const a of attackers) a.close();
    victim.close();
  }, 60_000);
});

describe('a flooded room (row 6)', () => {
  it('talkers at the allowed rate with maximal messages cannot get a reading member dropped, while others stall', async () => {
    const s = await serverWith(['--max-buffered-bytes', String(256 * 1024)]);
    const reader = await SlowReader.connect(s.tcpPort, 'reader', 1_000_000);
    await expect.poll(() => reader.messages().some((m) => m.type === 'who')).toBe(true);
    const stalled = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      const c = await JsonClient.tcp(s.tcpPort);
      c.send({ type: 'hello', nick: `stalled${i}` });
      await c.next('who');
      c.socket.pause();
      return c;
    }));
    const talkers = await Promise.all(Array.from({ length: 10 }, (_, i) => JsonClient.registered('ws', s.wsUrl, `talker${i}`)));
    const text = '😀'.repeat(4000);
    await Promise.all(talkers.map((t) => sendAtRate(t, 40, 19, (i) => ({ type: 'say', room: '#lobby', text, ref: `x${i}` }))));
    const refused = talkers.flatMap((t) => t.received).filter((m) => m.type === 'error' && m.code === 'RATE_LIMITED');
    expect(refused.length).toBeGreaterThan(0);

    reader.speedUp();
    reader.socket.write(`${JSON.stringify({ type: 'ping', ref: 'alive' })}\n`);
    await expect.poll(() => reader.messages().some((m) => m.type === 'pong' && m.ref === 'alive'), { timeout: 15_000 }).toBe(true);
    expect(reader.messages().some((m) => m.type === 'bye')).toBe(false);
    // Every message the talkers were acked reached the reader.
    const acked = talkers.flatMap((t) => t.received).filter((m) => m.type === 'ack').length;
    expect(acked).toBeGreaterThan(0);
    await expect.poll(() => reader.messages().filter((m) => m.type === 'message').length, { timeout: 15_000 }).toBe(acked);
    for (const c of [...talkers, ...stalled]) c.close();
    for (const c of stalled) c.socket.destroy();
    reader.close();
  }, 60_000);
});

describe('input that makes nothing (row 7)', () => {
  it('streams of CR NUL, empty lines and telnet no-ops are paced by their bytes: the server stays idle and a bystander is never refused', async () => {
    const s = await serverWith([]);
    const bystander = await Bystander.start(s.tcpPort);
    const chunks = {
      crnul: Buffer.alloc(64 * 1024, '\r\0'),
      newlines: Buffer.alloc(64 * 1024, '\n'),
      iacNop: Buffer.alloc(64 * 1024, Buffer.from([255, 241])),
    };
    const attackers = await Promise.all(Object.entries(chunks).map(async ([kind, chunk]) => {
      const socket = net.connect(s.tcpPort, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.on('error', () => {});
      socket.resume();
      // A nick first, so the connection has a session and a budget like any user's.
      socket.write(kind === 'newlines' ? `${JSON.stringify({ type: 'hello', nick: `free${kind}` })}\n` : `free${kind}\r\n`);
      return { socket, chunk };
    }));
    // Each writes as fast as the server takes it, for 2 s.
    const cpu = await serverCpuWhileStreaming(s.proc.pid!, attackers, 2000);
    const report = await bystander.stop();
    expect(report).toMatchObject({ rateLimited: 0, bye: null });
    expect(report.answered).toBe(report.sent);
    // Unpaced, three such streams keep the server's core busy; paced, they cost it next to nothing.
    expect(cpu).toBeLessThan(0.5);
    for (const { socket } of attackers) socket.destroy();
  }, 30_000);

  it('WebSocket frames that make no message (unsolicited pongs, empty fragments) are paced by their bytes too', async () => {
    const s = await serverWith([]);
    const bystander = await Bystander.start(s.tcpPort);
    // Masked client frames with no payload: a pong, and a continuation fragment of a text message never finished.
    const frames = (first: number) => {
      const chunk = Buffer.alloc(6 * 10_000);
      for (let i = 0; i < chunk.length; i += 6) { chunk[i] = first; chunk[i + 1] = 0x80; }
      return chunk;
    };
    const streams = [
      { opening: Buffer.alloc(0), chunk: frames(0x8a) },
      { opening: Buffer.alloc(0), chunk: frames(0x8a) },
      // A text frame without FIN holding "{", then continuations of nothing.
      { opening: Buffer.from([0x01, 0x81, 0, 0, 0, 0, 0x7b]), chunk: frames(0x00) },
    ];
    const attackers = await Promise.all(streams.map(async ({ opening, chunk }, i) => {
      const socket = await upgradedSocket(s.wsPort);
      socket.write(`${wsTextFrame(JSON.stringify({ type: 'hello', nick: `frames${i}` }))}`, 'latin1');
      socket.write(opening);
      return { socket, chunk };
    }));
    const cpu = await serverCpuWhileStreaming(s.proc.pid!, attackers, 2000);
    const report = await bystander.stop();
    expect(report).toMatchObject({ rateLimited: 0, bye: null });
    expect(report.answered).toBe(report.sent);
    expect(cpu).toBeLessThan(0.5);
    for (const { socket } of attackers) socket.destroy();
  }, 30_000);
});

/** A raw socket past the WebSocket handshake on `/`, reading (and dropping) whatever the server sends. */
function upgradedSocket(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
        + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    });
    let head = '';
    const onHead = (d: Buffer): void => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onHead);
      if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(head));
      socket.resume();
      resolve(socket);
    };
    socket.on('data', onHead);
    socket.on('error', () => {});
  });
}

/** A masked (all-zero mask) text frame of a short ASCII payload, as latin1. */
function wsTextFrame(text: string): string {
  return String.fromCharCode(0x81, 0x80 | text.length, 0, 0, 0, 0) + text;
}
