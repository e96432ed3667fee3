import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TextClient } from '../helpers/clients.js';
import { removeDir, startServer, type RunningServer } from '../helpers/server.js';

let server: RunningServer;
beforeAll(async () => { server = await startServer(); });
afterAll(async () => { await server.stop(); removeDir(server.dataDir); });

describe('text mode /help flood', () => {
  it('a client that floods /help without reading is cut off, not buffered without bound', async () => {
    const c = await TextClient.connect(server.tcpPort);
    c.write('flooder\r\n');
    await c.waitFor(/who|#lobby \(1\)/);
    c.socket.pause();
    c.write('/help\r\n'.repeat(60_000));
    await new Promise((r) => setTimeout(r, 2000));
    c.socket.resume();
    await c.waitFor(/\*\*\* bye: (flood|slow consumer)/, 20_000);
    expect(server.proc.exitCode).toBe(null);
  }, 30_000);
});
