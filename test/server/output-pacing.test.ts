/**
 * A connection that is paced (its input waits for its budget, or for its own unsent output to go)
 * carries on afterwards, whatever else runs meanwhile: in process, over real sockets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { JsonClient, TextClient } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/in-process.js';
import { removeDir } from '../helpers/server.js';

let s: InProcessServer | null = null;
afterEach(async () => {
  if (!s) return;
  await s.server.stop();
  removeDir(s.dataDir);
  s = null;
});

describe('pacing by unsent output', () => {
  it('with a bound under the socket buffer, a message held behind a large answer is still handled once that answer has gone', async () => {
    // Half the bound (2 KiB) is far below the socket's high-water mark (16 KiB), where Node emits no 'drain'.
    s = await startInProcess({ args: ['--max-buffered-bytes', '4096'] });
    const client = await JsonClient.registered('tcp', s.tcpPort, 'pacer');
    for (let i = 0; i < 3; i++) {
      client.send({ type: 'say', room: '#lobby', text: `${i} ${'x'.repeat(1000)}`, ref: `s${i}` });
      await client.next((m) => m.type === 'ack' && m.ref === `s${i}`);
    }
    // One packet: a history page of about 3 KiB, then a ping that must wait for that page to leave.
    client.sendRaw(`${JSON.stringify({ type: 'history', room: '#lobby' })}\n${JSON.stringify({ type: 'ping', ref: 'after' })}\n`);
    const page = await client.next((m) => m.type === 'history' && m.room === '#lobby');
    expect(page.type === 'history' && page.messages.length).toBe(3);
    await client.next((m) => m.type === 'pong' && m.ref === 'after');
    expect(client.closed).toBe(false);
    client.close();
  });
});

describe('pacing and the WebSocket heartbeat', () => {
  it('a live WebSocket client whose input waits longer than two ping intervals is slowed, not cut as dead', async () => {
    // One frame of 60 KB costs 15 tokens at 5 a second: its reading waits about 3 s, while pings go every second.
    s = await startInProcess({ args: ['--ping-interval', '1', '--rate-limit', '5', '--rate-burst', '1'] });
    const client = await JsonClient.ws(s.wsUrl);
    client.send({ type: 'hello', nick: 'patient' });
    await client.next('welcome');
    client.sendRaw(`{"type":"ping","ref":"heavy"${' '.repeat(60_000)}}`);
    // The ws client answers every ping; the server reads those pongs only once it reads again.
    await client.next((m) => m.type === 'pong' && m.ref === 'heavy', 15_000);
    expect(client.closed).toBe(false);
    client.send({ type: 'ping', ref: 'still' });
    await client.next((m) => m.type === 'pong' && m.ref === 'still', 15_000);
    client.close();
  }, 30_000);
});

describe('closing behind a backlog', () => {
  it('a telnet negotiation that arrives after /quit does not cut the output still queued: the text user gets it all, then bye', async () => {
    // A high bound: the quitter's unread output stays queued in the server instead of getting it dropped.
    s = await startInProcess({ args: ['--rate-limit', '0', '--room-rate', '0', '--max-buffered-bytes', String(64 << 20)] });
    const quitter = await TextClient.connect(s.tcpPort);
    quitter.write('quitter\r\n');
    await quitter.waitFor(/\*\*\* Welcome, quitter!/);
    quitter.socket.pause();
    const talker = await JsonClient.registered('tcp', s.tcpPort, 'talker');
    // About 10 MB to the quitter, who reads none of it: more than the kernel's socket buffers hold.
    talker.sendRaw(Array.from({ length: 600 }, (_, i) => `${JSON.stringify({ type: 'say', room: '#lobby', text: `${i} ${'😀'.repeat(3990)}`, ref: `t${i}` })}\n`).join(''));
    await talker.next((m) => m.type === 'ack' && m.ref === 't599', 30_000);
    quitter.write('/quit\r\n');
    await talker.next((m) => m.type === 'left' && m.nick === 'quitter');
    // IAC DO LINEMODE: an option the server has not refused yet, so it answers IAC WONT LINEMODE.
    quitter.write(Buffer.from([255, 253, 34]));
    quitter.socket.resume();
    await quitter.waitFor(/\*\*\* bye: quit\r\n$/, 45_000);
    // The last message, cut into rows of at most 80 columns, is all there.
    const last = quitter.utf8().slice(quitter.utf8().lastIndexOf('<talker> 599'));
    expect(last.match(/😀/gu)).toHaveLength(3990);
    talker.close();
  }, 120_000);
});
