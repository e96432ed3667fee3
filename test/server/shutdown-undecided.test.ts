import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { TextClient } from '../helpers/clients.js';
import { removeDir, startServer } from '../helpers/server.js';

describe('shutdown and connections that have not spoken yet', () => {
  it('a TCP connection that has sent nothing yet gets bye on SIGTERM, and the server exits 0 promptly', async () => {
    const server = await startServer();
    const quiet = net.connect(server.tcpPort, '127.0.0.1');
    let quietText = '';
    quiet.on('data', (d) => { quietText += d.toString(); });
    const quietClosed = new Promise((r) => quiet.on('close', r));
    await new Promise((r) => quiet.on('connect', r));
    const greeted = await TextClient.connect(server.tcpPort);
    await greeted.waitFor(/Choose a nick/);
    // Connected just now: not greeted with the text banner yet, so it gets the JSON bye.
    const fresh = net.connect(server.tcpPort, '127.0.0.1');
    let freshText = '';
    fresh.on('data', (d) => { freshText += d.toString(); });
    const freshClosed = new Promise((r) => fresh.on('close', r));
    await new Promise((r) => fresh.on('connect', r));
    const started = Date.now();
    const code = await server.stop('SIGTERM');
    await Promise.all([quietClosed, freshClosed]);
    expect(freshText).toBe('{"type":"bye","reason":"shutdown"}\n');
    expect(code).toBe(0);
    expect(quietText).toMatch(/\*\*\* bye: shutdown\r\n$/);
    await greeted.waitFor(/\*\*\* bye: shutdown/, 1000);
    expect(Date.now() - started).toBeLessThan(2500);
    removeDir(server.dataDir);
  });

  it('WebSocket handshakes still queued at SIGTERM are refused with 503; none hangs, and the server exits 0', async () => {
    const server = await startServer();
    const COUNT = 400;
    const answers = await new Promise<string[]>((resolve) => {
      const out: string[] = [];
      let stopping: Promise<number | null> | null = null;
      for (let i = 0; i < COUNT; i++) {
        const socket = net.connect(server.wsPort, '127.0.0.1', () => {
          socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
            + `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
          // Stop while most of the burst is still waiting for its turn to be answered.
          if (i === COUNT - 1) stopping = server.stop('SIGTERM');
        });
        let text = '';
        socket.on('data', (d) => { text += d.toString('latin1'); });
        socket.on('error', () => {});
        socket.on('close', () => {
          out.push(text.split('\r\n')[0] ?? '');
          if (out.length === COUNT) void stopping!.then(() => resolve(out));
        });
      }
    });
    const kinds = new Set(answers.map((a) => (a.startsWith('HTTP/1.1 101') ? '101' : a.startsWith('HTTP/1.1 503') ? '503' : a === '' ? 'closed' : a)));
    // Each got its handshake (and then bye and the close) or a 503, or was closed before it was read.
    expect([...kinds].every((k) => ['101', '503', 'closed'].includes(k))).toBe(true);
    expect(await server.stop('SIGTERM')).toBe(0);
    removeDir(server.dataDir);
  }, 20_000);
});
