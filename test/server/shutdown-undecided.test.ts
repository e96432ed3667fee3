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
});
