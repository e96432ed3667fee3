import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TextClient } from '../helpers/clients.js';
import { removeDir, startServer, type RunningServer } from '../helpers/server.js';

let server: RunningServer;
beforeAll(async () => { server = await startServer(); });
afterAll(async () => { await server.stop(); removeDir(server.dataDir); });

/** Sessions the server holds, from /healthz. */
async function connections(): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${server.adminPort}/healthz`);
  return ((await res.json()) as { connections: number }).connections;
}

describe('text mode /help flood', () => {
  it('a client that floods /help without reading is cut off, not buffered without bound', async () => {
    const c = await TextClient.connect(server.tcpPort);
    c.write('flooder\r\n');
    await c.waitFor(/who|#lobby \(1\)/);
    c.socket.pause();
    c.write('/help\r\n'.repeat(60_000));
    // Cut while it still reads nothing: the server lets go of its session (its bye waits behind the
    // unread output). Polled at 10/s: the admin listener allows an address 20 requests a second.
    await expect.poll(connections, { interval: 100, timeout: 10_000 }).toBe(0);
    c.socket.resume();
    await c.waitFor(/\*\*\* bye: (flood|slow consumer)/, 20_000);
    expect(server.proc.exitCode).toBe(null);
  }, 30_000);
});
