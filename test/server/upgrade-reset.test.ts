import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonClient } from '../helpers/clients.js';
import { removeDir, startServer, type RunningServer } from '../helpers/server.js';

let server: RunningServer;
beforeAll(async () => { server = await startServer(); });
afterAll(async () => { await server.stop(); removeDir(server.dataDir); });

describe('WebSocket upgrade errors', () => {
  it('a peer that resets after an upgrade to a wrong path does not kill the server', async () => {
    for (let i = 0; i < 30; i++) {
      await new Promise<void>((resolve) => {
        const s = net.connect(server.wsPort, '127.0.0.1', () => {
          s.write('GET /nope HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
            + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
          setTimeout(() => { s.resetAndDestroy(); resolve(); }, i % 3);
        });
        s.on('error', () => resolve());
      });
    }
    // The resets reached the server before this client's first byte, and a registration and a ping
    // round trip take it through several more turns of its event loop: a crash on a reset comes first.
    const c = await JsonClient.registered('ws', server.wsUrl, 'alive');
    c.send({ type: 'ping', ref: 'alive' });
    expect(await c.next('pong')).toEqual({ type: 'pong', ref: 'alive' });
    c.close();
    expect(server.proc.exitCode, server.output()).toBe(null);
  });
});
