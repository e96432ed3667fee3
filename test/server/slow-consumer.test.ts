/** A client that stops reading is dropped with bye; the others keep receiving everything. */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonClient } from '../helpers/clients.js';
import { removeDir, startServer, type RunningServer } from '../helpers/server.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ args: ['--rate-limit', '0', '--room-rate', '0', '--max-buffered-bytes', String(256 * 1024)] });
});
afterAll(async () => { await server.stop(); removeDir(server.dataDir); });

function rawJsonClient(port: number, nick: string): Promise<{ socket: net.Socket; lines: string[] }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const lines: string[] = [];
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      lines.push(...parts);
    });
    socket.write(`{"type":"hello","nick":"${nick}"}\n{"type":"join","room":"#slow"}\n`);
    const waitJoined = setInterval(() => {
      if (lines.some((l) => l.includes('"who"') && l.includes('#slow'))) {
        clearInterval(waitJoined);
        resolve({ socket, lines });
      }
    }, 10);
  });
}

describe('slow consumers', () => {
  it('a stalled reader gets bye and is dropped while a fast reader gets every message', async () => {
    const slow = await rawJsonClient(server.tcpPort, 'sloth');
    const fast = await JsonClient.registered('ws', server.wsUrl, 'cheetah');
    const sender = await JsonClient.registered('tcp', server.tcpPort, 'talker');
    for (const c of [fast, sender]) {
      c.send({ type: 'join', room: '#slow' });
      await c.next((m) => m.type === 'who' && m.room === '#slow');
    }
    slow.socket.pause();

    const text = 'x'.repeat(3900);
    let sent = 0;
    let dropped = false;
    void fast.next((m) => m.type === 'left' && m.nick === 'sloth' && m.room === '#slow', 60_000).then((m) => {
      expect(m).toMatchObject({ room: '#slow', reason: 'slow consumer' });
      dropped = true;
    });
    // Bounded: at most 1000 batches of 25 x 4 KB.
    const BATCH = 25;
    for (let batch = 0; batch < 1000 && !dropped; batch++) {
      for (let i = 0; i < BATCH; i++) sender.send({ type: 'say', room: '#slow', text: `${sent++} ${text}` });
      let received = 0;
      while (received < BATCH) {
        const m = await fast.next((x) => x.type === 'message', 10_000);
        if (m.type === 'message') expect(m.text.startsWith(`${sent - BATCH + received} `)).toBe(true);
        received++;
      }
    }
    expect(dropped).toBe(true);

    slow.socket.resume();
    await new Promise((resolve) => slow.socket.once('close', resolve));
    const last = JSON.parse(slow.lines.filter((l) => l.startsWith('{')).at(-1)!);
    expect(last).toEqual({ type: 'bye', reason: 'slow consumer' });

    // The room still works for everyone else.
    sender.send({ type: 'say', room: '#slow', text: 'after the drop' });
    expect(await fast.next((m) => m.type === 'message' && m.text === 'after the drop')).toBeTruthy();
    fast.close(); sender.close();
  }, 90_000);
});

describe('readers that keep up', () => {
  it('a reader that pauses briefly through a burst over the bound is not dropped', async () => {
    const s = await startServer({ args: ['--rate-limit', '0', '--room-rate', '0', '--max-buffered-bytes', String(4 * 1024 * 1024)] });
    try {
      const reader = await rawJsonClient(s.tcpPort, 'napper');
      const sender = await JsonClient.registered('ws', s.wsUrl, 'burster');
      sender.send({ type: 'join', room: '#slow' });
      await sender.next((m) => m.type === 'who' && m.room === '#slow');
      reader.socket.pause();
      // About 8 MB: more than loopback's socket buffers take, so the server holds megabytes for a moment.
      const text = 'y'.repeat(3990);
      for (let i = 0; i < 2000; i++) sender.send({ type: 'say', room: '#slow', text: `${i} ${text}`, ref: i === 1999 ? 'last' : undefined });
      await sender.next((m) => m.type === 'ack' && m.ref === 'last', 20_000);
      await new Promise((r) => setTimeout(r, 300));
      reader.socket.resume();
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && !reader.lines.some((l) => l.includes('"1999 '))) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const messages = reader.lines.filter((l) => l.includes('"type":"message"'));
      expect(messages).toHaveLength(2000);
      expect(reader.lines.some((l) => l.includes('"bye"'))).toBe(false);
      reader.socket.destroy();
      sender.close();
    } finally {
      await s.stop();
      removeDir(s.dataDir);
    }
  }, 60_000);
});
