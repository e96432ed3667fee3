/**
 * The socket cap follows the open-files limit (attack report row 12): a real process started under
 * `prlimit --nofile=300:300`, flooded with more silent sockets than it has descriptors, from 40
 * addresses so that the per-address caps do not stop them first.
 */
import { readdirSync } from 'node:fs';
import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonClient } from '../helpers/clients.js';
import { connectFrom, silentOutcome, type RawSocket } from '../helpers/raw-sockets.js';
import { removeDir, startServer, type RunningServer } from '../helpers/server.js';

const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) { await s.stop(); removeDir(s.dataDir); }
});

function status(port: number, localAddress: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, localAddress, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    }).on('error', reject);
  });
}

async function hello(port: number, localAddress: string, nick: string): Promise<string> {
  const client = await JsonClient.tcp(port, localAddress);
  client.send({ type: 'hello', nick });
  const first = await client.next((m) => m.type === 'welcome' || m.type === 'error');
  client.close();
  return first.type === 'error' ? first.code : first.type;
}

describe('open-files limit', () => {
  it('under nofile 300 the server warns, holds its sockets below the limit and answers newcomers cleanly', async () => {
    const s = await startServer({
      wrapper: ['prlimit', '--nofile=300:300'],
      args: ['--limit-exempt', '', '--handshake-timeout', '60'],
    });
    servers.push(s);
    await expect.poll(() => s.output()).toMatch(/open-files limit \(300\) leaves room for \d+ client sockets/);
    const socketCap = Number(/leaves room for (\d+) client sockets/.exec(s.output())![1]);
    expect(socketCap).toBeLessThan(300 - 64);
    const bystander = await JsonClient.registered('tcp', s.tcpPort, 'bystander');

    const flood: RawSocket[] = [];
    for (let a = 10; a < 50; a++) {
      flood.push(...await Promise.all(Array.from({ length: 8 }, () => connectFrom(s.tcpPort, `127.0.0.${a}`))));
    }
    const outcomes = await Promise.all(flood.map(silentOutcome));
    const greeted = outcomes.filter((o) => o === 'greeted').length;
    // The bystander holds one place; every other socket was refused with SERVER_FULL (or dropped, past
    // the refusals being answered at once), never left hanging.
    expect(greeted).toBe(socketCap - 1);
    expect(outcomes.filter((o) => o !== 'greeted' && o !== 'SERVER_FULL' && o !== 'dropped')).toEqual([]);
    expect(readdirSync(`/proc/${s.proc.pid}/fd`).length).toBeLessThan(300);

    // Full: a newcomer on either chat port gets a clean refusal, the admin listener (its descriptors
    // kept in reserve) still answers, and the bystander still works.
    expect(await hello(s.tcpPort, '127.0.0.200', 'newcomer')).toBe('SERVER_FULL');
    expect(await status(s.wsPort, '127.0.0.201', '/')).toBe(503);
    expect(await status(s.adminPort, '127.0.0.1', '/healthz')).toBe(200);
    bystander.send({ type: 'ping', ref: 'still' });
    expect(await bystander.next('pong')).toEqual({ type: 'pong', ref: 'still' });

    for (const r of flood) r.socket.destroy();
    await expect.poll(() => status(s.wsPort, '127.0.0.201', '/')).toBe(404);
    expect(await hello(s.tcpPort, '127.0.0.200', 'newcomer')).toBe('welcome');
    expect(s.output()).not.toMatch(/EMFILE/);
    bystander.close();
  });
});
