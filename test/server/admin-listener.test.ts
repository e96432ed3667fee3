/**
 * /healthz and /metrics live on the admin listener, not the chat port, and each remote address may make
 * only so many requests a second there: hammering it gets 429 (for that address only) while chat goes on.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonClient } from '../helpers/clients.js';
import { removeDir, startServer, type RunningServer } from '../helpers/server.js';

let server: RunningServer;
beforeAll(async () => { server = await startServer(); });
afterAll(async () => { await server.stop(); removeDir(server.dataDir); });

/** GET on the admin port from `localAddress`, through `agent`; resolves with status, retry-after and body. */
function get(p: string, agent: http.Agent, localAddress = '127.0.0.1'): Promise<{ status: number; retryAfter?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: server.adminPort, path: p, agent, localAddress }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] as string | undefined, body }));
    });
    req.on('error', reject);
  });
}

describe('the admin listener', () => {
  it('answers 429 to an address that hammers it, while chat and other addresses are unaffected', async () => {
    const chatter = await JsonClient.registered('tcp', server.tcpPort, 'chatter');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const paths = Array.from({ length: 200 }, (_, i) => (i % 2 ? '/metrics' : '/healthz'));
    const hammering = Promise.all(paths.map((p) => get(p, agent)));
    // Chat carries on while the admin port is hammered.
    chatter.send({ type: 'say', room: '#lobby', text: 'still here', ref: 's' });
    expect(await chatter.next('ack')).toMatchObject({ ref: 's' });
    const answers = await hammering;
    const limited = answers.filter((a) => a.status === 429);
    const served = answers.filter((a) => a.status === 200);
    expect(limited.length + served.length).toBe(answers.length);
    // A burst of 40 and 20 a second: 200 requests in a row cannot all be served.
    expect(served.length).toBeGreaterThanOrEqual(40);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]).toEqual({ status: 429, retryAfter: '1', body: 'too many requests; slow down\n' });
    // Another address has its own allowance.
    const other = new http.Agent({ keepAlive: false });
    expect((await get('/healthz', other, '127.0.0.2')).status).toBe(200);
    // The hammering address gets answers again once its bucket refills.
    await expect.poll(async () => (await get('/healthz', agent)).status, { timeout: 10_000, interval: 100 }).toBe(200);
    chatter.send({ type: 'ping', ref: 'p' });
    expect(await chatter.next('pong')).toMatchObject({ ref: 'p' });
    expect(chatter.closed).toBe(false);
    agent.destroy();
    chatter.close();
  });
});
