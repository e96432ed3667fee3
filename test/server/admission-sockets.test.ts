/**
 * Per-address admission and handshake timeouts over real sockets, with the server in process (built
 * dist/). Clients bind to other loopback addresses (127.0.0.2, …) to look like other hosts, and the
 * server runs with --limit-exempt '' so that loopback is not exempt.
 */
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { JsonClient } from '../helpers/clients.js';
import { connectFrom, silentOutcome, upgradeRefusal } from '../helpers/raw-sockets.js';
import { makeTempDir, removeDir, ROOT } from '../helpers/server.js';

type AppModule = typeof import('../../server/app.js');
type ConfigModule = typeof import('../../server/config.js');
type LogModule = typeof import('../../server/log.js');

const dist = (file: string) => import(path.join(ROOT, 'dist/server', file));
const { startChatServer } = (await dist('app.js')) as AppModule;
const { loadConfig } = (await dist('config.js')) as ConfigModule;
const { createLogger } = (await dist('log.js')) as LogModule;

interface InProcess { wsPort: number; tcpPort: number; adminPort: number; wsUrl: string }

const running: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const stop of running) await stop();
});

async function serve(args: string[]): Promise<InProcess> {
  const data = makeTempDir();
  const loaded = loadConfig(['--host', '127.0.0.1', '--port', '0', '--tcp-port', '0', '--admin-port', '0', '--data', data, ...args], {});
  if (!loaded.ok) throw new Error(JSON.stringify(loaded));
  const server = await startChatServer(loaded.config, createLogger('silent'));
  running.push(async () => { await server.stop(); removeDir(data); });
  return { wsPort: server.wsPort, tcpPort: server.tcpPort, adminPort: server.adminPort, wsUrl: `ws://127.0.0.1:${server.wsPort}` };
}

/** Opens a TCP JSON connection from `localAddress` and says hello: 'welcome', or the code it was refused with. */
async function helloFrom(port: number, localAddress: string, nick: string): Promise<{ outcome: string; client: JsonClient }> {
  const client = await JsonClient.tcp(port, localAddress);
  client.send({ type: 'hello', nick });
  const first = await client.next((m) => m.type === 'welcome' || m.type === 'error');
  return { outcome: first.type === 'error' ? first.code : first.type, client };
}

async function registeredWs(url: string, localAddress: string, nick: string): Promise<JsonClient> {
  const client = await JsonClient.ws(url, { localAddress });
  client.send({ type: 'hello', nick });
  await client.next('welcome');
  return client;
}

/** Resolves once `n` of the promises have. */
function firstSettled(promises: Array<Promise<void>>, n: number): Promise<void> {
  let done = 0;
  return new Promise((resolve) => {
    for (const p of promises) void p.then(() => { if (++done === n) resolve(); });
  });
}

async function metricsText(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return res.text();
}

function count(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

describe('per-address admission', () => {
  it('a flood of 200 silent sockets from one address is held to 8; a newcomer from another address and a bystander are untouched', async () => {
    const s = await serve(['--limit-exempt', '']);
    const bystander = await registeredWs(s.wsUrl, '127.0.0.4', 'bystander');
    const flood = await Promise.all(Array.from({ length: 200 }, () => connectFrom(s.tcpPort, '127.0.0.2')));
    const outcomes = await Promise.all(flood.map(silentOutcome));
    const counts = count(outcomes);
    // Refusals past the 64 being answered at once are dropped without a word; none is ever admitted.
    expect(counts.greeted).toBe(8);
    expect((counts.TOO_MANY_CONNECTIONS ?? 0) + (counts.dropped ?? 0)).toBe(192);
    expect(counts.TOO_MANY_CONNECTIONS).toBeGreaterThan(0);
    // A refusal's text can arrive a read before its close: wait for the refused ones to close.
    await Promise.all(flood.filter((_, i) => outcomes[i] !== 'greeted').map((r) => r.closed));
    expect(flood.filter((r) => !r.socket.destroyed)).toHaveLength(8);

    const { outcome, client: newcomer } = await helloFrom(s.tcpPort, '127.0.0.3', 'newcomer');
    expect(outcome).toBe('welcome');
    await newcomer.next((m) => m.type === 'who');
    newcomer.send({ type: 'say', room: '#lobby', text: 'made it in' });
    expect(await bystander.next('message')).toMatchObject({ from: 'newcomer', text: 'made it in' });
    bystander.send({ type: 'ping', ref: 'rtt' });
    expect(await bystander.next('pong')).toEqual({ type: 'pong', ref: 'rtt' });
    expect(bystander.closed).toBe(false);
    for (const r of flood) r.socket.destroy();
    newcomer.close();
    bystander.close();
  });

  it('past --max-per-address a TCP client gets TOO_MANY_CONNECTIONS and bye, a WebSocket gets 429; a place frees when one leaves', async () => {
    const s = await serve(['--limit-exempt', '', '--max-per-address', '3', '--connect-rate', '0']);
    const held = [];
    for (let i = 0; i < 3; i++) held.push(await registeredWs(s.wsUrl, '127.0.0.2', `held${i}`));
    const tcp = await JsonClient.tcp(s.tcpPort, '127.0.0.2');
    expect(await tcp.error('TOO_MANY_CONNECTIONS')).toMatchObject({ message: 'too many connections from your address' });
    expect(await tcp.next('bye')).toEqual({ type: 'bye', reason: 'too many connections from your address' });
    await tcp.closedPromise;
    expect(await upgradeRefusal(s.wsUrl, '127.0.0.2')).toEqual({ status: 429, body: 'too many connections from your address\n' });
    // Another address is not affected.
    const other = await registeredWs(s.wsUrl, '127.0.0.3', 'other');
    held[0]!.close();
    await other.next((m) => m.type === 'left' && m.nick === 'held0');
    expect((await helloFrom(s.tcpPort, '127.0.0.2', 'later')).outcome).toBe('welcome');
    for (const c of [...held, other]) c.close();
  });

  it('past --max-unregistered-per-address the next socket is refused, until one of them says hello', async () => {
    const s = await serve(['--limit-exempt', '', '--connect-rate', '0']);
    const silent = await Promise.all(Array.from({ length: 8 }, () => connectFrom(s.tcpPort, '127.0.0.2')));
    expect(await Promise.all(silent.map(silentOutcome))).toEqual(Array(8).fill('greeted'));
    const ninth = await JsonClient.tcp(s.tcpPort, '127.0.0.2');
    expect((await ninth.error('TOO_MANY_CONNECTIONS')).message).toMatch(/not said hello/);
    expect(await ninth.next('bye')).toEqual({ type: 'bye', reason: 'too many connections from your address' });
    expect(await upgradeRefusal(s.wsUrl, '127.0.0.2')).toMatchObject({ status: 429 });
    // The first silent one turns out to be a person: its nick registers it, which frees a place.
    silent[0]!.socket.write('alice\r\n');
    await expect.poll(() => silent[0]!.text()).toContain('*** Welcome, alice!');
    const tenth = await connectFrom(s.tcpPort, '127.0.0.2');
    expect(await silentOutcome(tenth)).toBe('greeted');
    expect((await helloFrom(s.tcpPort, '127.0.0.2', 'eleventh')).outcome).toBe('TOO_MANY_CONNECTIONS');
    expect(await metricsText(s.adminPort)).toContain('chat_connections_refused_total{reason="unregistered"} 3');
    for (const r of [...silent, tenth]) r.socket.destroy();
  });

  it('a burst of connections from one address is refused past --connect-burst and admitted again once the rate refills', async () => {
    const s = await serve(['--limit-exempt', '', '--connect-rate', '5', '--connect-burst', '5', '--max-unregistered-per-address', '100']);
    const burst = await Promise.all(Array.from({ length: 8 }, (_, i) => helloFrom(s.tcpPort, '127.0.0.2', `burst${i}`)));
    expect(count(burst.map((b) => b.outcome))).toEqual({ welcome: 5, TOO_MANY_CONNECTIONS: 3 });
    const refused = burst.find((b) => b.outcome === 'TOO_MANY_CONNECTIONS')!.client;
    expect(refused.received[0]).toMatchObject({ message: expect.stringMatching(/new connections/) });
    expect((await helloFrom(s.tcpPort, '127.0.0.3', 'elsewhere')).outcome).toBe('welcome');
    let attempt = 0;
    await expect.poll(async () => (await helloFrom(s.tcpPort, '127.0.0.2', `retry${attempt++}`)).outcome, { timeout: 5000, interval: 50 })
      .toBe('welcome');
    for (const b of burst) b.client.close();
  });
});

describe('handshake timeouts', () => {
  it('a slowloris HTTP request, and a silent HTTP socket, are closed after --handshake-timeout; an upgraded socket is not', async () => {
    const s = await serve(['--handshake-timeout', '1']);
    const waiting = await JsonClient.ws(s.wsUrl);
    const loris = await connectFrom(s.wsPort, '127.0.0.1');
    loris.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const trickle = setInterval(() => loris.socket.write('X-Slow: 1\r\n'), 100);
    const silent = await connectFrom(s.wsPort, '127.0.0.1');
    await Promise.all([loris.closed, silent.closed]);
    clearInterval(trickle);
    expect(loris.text()).toMatch(/^HTTP\/1.1 408/);
    // The WebSocket connected before them is past its handshake: only the registration timeout applies.
    expect(waiting.closed).toBe(false);
    waiting.send({ type: 'hello', nick: 'patient' });
    expect(await waiting.next('welcome')).toMatchObject({ nick: 'patient' });
    waiting.close();
  });

  it('an upgrade to a wrong path gets 404 and its socket is closed, even by a client that keeps its side open; its place is freed', async () => {
    const s = await serve(['--handshake-timeout', '1', '--limit-exempt', '', '--max-unregistered-per-address', '1']);
    // allowHalfOpen: the client never closes its side, so only the server can end this socket.
    const socket = net.connect({ port: s.wsPort, host: '127.0.0.1', localAddress: '127.0.0.8', allowHalfOpen: true });
    let text = '';
    socket.on('data', (d: Buffer) => { text += d.toString('latin1'); });
    socket.on('error', () => {});
    socket.write('GET /nowhere HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
      + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    await expect.poll(() => text).toMatch(/^HTTP\/1.1 404/);
    // While that socket is held, the address has no place for another unregistered socket.
    await expect.poll(async () => {
      const { outcome, client } = await helloFrom(s.tcpPort, '127.0.0.8', 'after404');
      client.close();
      return outcome;
    }, { timeout: 5000, interval: 200 }).toBe('welcome');
    socket.destroy();
  });

  it('silent TCP sockets among others from their address are cut at --handshake-timeout; a lone one may still type its nick', async () => {
    const s = await serve(['--handshake-timeout', '1', '--limit-exempt', '']);
    const lone = await connectFrom(s.tcpPort, '127.0.0.5');
    const crowd = await Promise.all([1, 2, 3].map(() => connectFrom(s.tcpPort, '127.0.0.6')));
    // Each is cut while another from its address still waits; the last one left may be spared in turn.
    await firstSettled(crowd.map((r) => r.closed), 2);
    const cut = crowd.filter((r) => r.socket.destroyed);
    expect(cut.length).toBeGreaterThanOrEqual(2);
    for (const r of cut) expect(r.text()).toMatch(/Choose a nick: \*\*\* bye: handshake timeout\r\n$/);
    // The lone socket's timer fired first and spared it.
    expect(lone.socket.destroyed).toBe(false);
    lone.socket.write('slowpoke\r\n');
    await expect.poll(() => lone.text()).toContain('*** Welcome, slowpoke!');
    for (const r of [lone, ...crowd]) r.socket.destroy();
  });
});
