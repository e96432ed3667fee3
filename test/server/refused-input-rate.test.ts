import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonClient, TextClient } from '../helpers/clients.js';
import { removeDir, startServer, type RunningServer } from '../helpers/server.js';

let server: RunningServer;
beforeAll(async () => { server = await startServer(); });
afterAll(async () => { await server.stop(); removeDir(server.dataDir); });

describe('flood control covers input refused by the transport', () => {
  it('a flood of binary frames is rate-limited and ends in bye flood', async () => {
    const c = await JsonClient.ws(server.wsUrl);
    c.send({ type: 'hello', nick: 'binflood' });
    await c.next('welcome');
    for (let i = 0; i < 500; i++) c.socket.send(Buffer.from('x'), { binary: true });
    await c.next((m) => m.type === 'error' && m.code === 'RATE_LIMITED');
    expect(await c.next('bye')).toEqual({ type: 'bye', reason: 'flood' });
  });

  it('a flood of unknown text-mode commands is rate-limited and ends in bye flood', async () => {
    const c = await TextClient.connect(server.tcpPort);
    c.write('cmdflood\r\n');
    await c.waitFor(/#lobby \(\d+\)/);
    c.write('/bogus\r\n'.repeat(500));
    await c.waitFor(/RATE_LIMITED/);
    await c.waitFor(/\*\*\* bye: flood/);
  });
});
