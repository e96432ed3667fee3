/**
 * TLS on the chat ports (--tls-cert, --tls-key) with certificates made by openssl for this file: wss://,
 * JSON lines and text mode over TLS, plain text refused in its own words, admission and the handshake
 * timeout before and around the handshake, reload in process and by SIGHUP on a real process, the
 * Origin allow-list, and start-up errors.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeCertificates, type Leaf, type TestCertificates } from '../helpers/certs.js';
import { JsonClient, TextClient } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/in-process.js';
import { connectFrom } from '../helpers/raw-sockets.js';
import { makeTempDir, removeDir, SERVER_MAIN, startServer, type RunningServer } from '../helpers/server.js';

let dir: string;
let certs: TestCertificates;
let first: Leaf;
let second: Leaf;
const cleanups: (() => Promise<unknown> | void)[] = [];

beforeAll(() => {
  dir = makeTempDir('chat-tls-');
  certs = makeCertificates(dir);
  first = certs.leaf('chat-first');
  second = certs.leaf('chat-second');
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  removeDir(dir);
});

async function tlsServer(args: string[] = [], leaf: { cert: string; key: string } = first): Promise<InProcessServer> {
  const s = await startInProcess({ args: ['--tls-cert', leaf.cert, '--tls-key', leaf.key, ...args] });
  cleanups.push(async () => {
    await s.server.stop();
    removeDir(s.dataDir);
  });
  return s;
}

function track<T extends { close(): void }>(client: T): T {
  cleanups.push(() => client.close());
  return client;
}

const trusted = () => ({ ca: certs.caPem });

async function registered<C extends JsonClient>(client: C, nick: string): Promise<C> {
  client.send({ type: 'hello', nick });
  await client.next('welcome');
  await client.next((m) => m.type === 'who' && m.room === '#lobby');
  return client;
}

/** Whether `client` hears `from` say `text` in #lobby. */
async function hears(client: JsonClient, from: string, text: string): Promise<void> {
  await client.next((m) => m.type === 'message' && m.from === from && m.text === text);
}

/** A raw plain-text exchange: what the port answered before it closed. */
async function plainAnswer(port: number, send: string): Promise<string> {
  const raw = await connectFrom(port, '127.0.0.1');
  raw.socket.write(send);
  await raw.closed;
  return raw.text();
}

function fingerprintOf(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: '127.0.0.1', ca: certs.caPem }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

async function metric(s: InProcessServer, reason: string): Promise<number> {
  const text = await (await s.admin('/metrics')).text();
  return Number(new RegExp(`chat_connections_refused_total\\{reason="${reason}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
}

describe('a server with a certificate', () => {
  let s: InProcessServer;
  beforeAll(async () => {
    s = await tlsServer(['--allowed-origins', 'https://chat.example.com, http://localhost:8080']);
  });

  it('carries wss://, JSON lines over TLS and text mode over TLS into one room, with its certificate', async () => {
    const wss = track(await registered(await JsonClient.ws(`wss://127.0.0.1:${s.server.wsPort}`, trusted()), 'webby'));
    const lines = track(await JsonClient.tls(s.tcpPort, trusted()));
    expect(lines.socket.getPeerCertificate().fingerprint256).toBe(first.fingerprint);
    expect(lines.socket.authorized).toBe(true);
    await registered(lines, 'liner');
    const text = track(await TextClient.tls(s.tcpPort, trusted()));
    await text.waitFor(/Choose a nick/);
    text.write('texter\r\n');
    await text.waitFor(/Welcome, texter!/);
    expect(s.server.tls?.fingerprint).toBe(first.fingerprint);

    wss.send({ type: 'say', room: '#lobby', text: 'over wss' });
    lines.send({ type: 'say', room: '#lobby', text: 'over tls lines' });
    text.write('over tls text\r\n');
    await hears(lines, 'webby', 'over wss');
    await hears(wss, 'liner', 'over tls lines');
    await hears(wss, 'texter', 'over tls text');
    await text.waitFor(/<webby> over wss/);
    await text.waitFor(/<liner> over tls lines/);
  });

  it('is refused by a client that does not trust its CA', async () => {
    await expect(JsonClient.tls(s.tcpPort)).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    await expect(JsonClient.ws(`wss://127.0.0.1:${s.server.wsPort}`)).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    // Nor is it a certificate for another name.
    await expect(JsonClient.tls(s.tcpPort, { ...trusted(), servername: 'chat.example.org' })).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('answers plain text on either port in plain words and closes it, while TLS clients keep chatting', async () => {
    const before = await metric(s, 'plaintext');
    const a = track(await registered(await JsonClient.tls(s.tcpPort, trusted()), 'steady'));
    const b = track(await registered(await JsonClient.ws(`wss://127.0.0.1:${s.server.wsPort}`, trusted()), 'steady2'));

    const tlsLine = `error: this port speaks TLS; connect with tls://127.0.0.1:${s.tcpPort}\r\n`;
    expect(await plainAnswer(s.tcpPort, 'alice\r\n')).toBe(tlsLine);
    expect(await plainAnswer(s.tcpPort, '{"type":"hello","nick":"plain"}\n')).toBe(tlsLine);
    const http = await plainAnswer(s.server.wsPort, `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\r\n`);
    expect(http).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(http).toContain(`this port speaks TLS: use https://127.0.0.1:${s.server.wsPort}/ or wss://127.0.0.1:${s.server.wsPort}/`);
    // A WebSocket client that says ws:// gets the same 400.
    await expect(JsonClient.ws(`ws://127.0.0.1:${s.server.wsPort}`)).rejects.toThrow(/Unexpected server response: 400/);

    expect(await metric(s, 'plaintext')).toBe(before + 4);
    expect(s.logs.filter((r) => r.msg === 'plain text on a TLS port: refused')).toHaveLength(before + 4);
    a.send({ type: 'say', room: '#lobby', text: 'still here' });
    await hears(b, 'steady', 'still here');
    b.send({ type: 'say', room: '#lobby', text: 'me too' });
    await hears(a, 'steady2', 'me too');
  });

  it('lets WebSocket upgrades in from an allowed Origin and from programs without one, and answers 403 to others', async () => {
    const before = await metric(s, 'origin');
    const url = `wss://127.0.0.1:${s.server.wsPort}`;
    track(await registered(await JsonClient.ws(url, { ...trusted(), origin: 'https://chat.example.com' }), 'browser'));
    track(await registered(await JsonClient.ws(url, { ...trusted(), origin: 'http://LOCALHOST:8080' }), 'devpage'));
    track(await registered(await JsonClient.ws(url, trusted()), 'program'));
    for (const origin of ['https://evil.example', 'https://chat.example.com.evil.example', 'http://chat.example.com', 'null']) {
      await expect(JsonClient.ws(url, { ...trusted(), origin })).rejects.toThrow(/Unexpected server response: 403/);
    }
    expect(await metric(s, 'origin')).toBe(before + 4);
    expect(s.logs.filter((r) => r.msg === 'websocket from an origin not allowed: refused').map((r) => r.origin))
      .toEqual(['https://evil.example', 'https://chat.example.com.evil.example', 'http://chat.example.com', 'null']);
  });
});

describe('admission and the handshake timeout around the handshake', () => {
  let s: InProcessServer;
  beforeAll(async () => {
    s = await tlsServer(['--limit-exempt', '', '--max-per-address', '1', '--handshake-timeout', '1']);
  });

  it('refuses a socket over the per-address cap before any handshake, with an access-denied alert', async () => {
    const silent = await connectFrom(s.tcpPort, '127.0.0.1');
    await expect(JsonClient.tls(s.tcpPort, trusted())).rejects.toMatchObject({ code: 'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED' });
    expect(await metric(s, 'address')).toBe(1);
    // The silent one never starts a handshake: the handshake timeout cuts it, and its place comes back.
    await silent.closed;
    expect(silent.text()).toBe('');
    const c = await vi.waitFor(() => JsonClient.tls(s.tcpPort, trusted()), { timeout: 10_000, interval: 100 });
    await registered(c, 'after');
    c.close();
    await c.closedPromise;
    // A whole TLS session gives its place back too.
    const d = await vi.waitFor(() => JsonClient.ws(`wss://127.0.0.1:${s.server.wsPort}`, trusted()), { timeout: 10_000, interval: 100 });
    await registered(d, 'after2');
    d.close();
    await d.closedPromise;
  });

  it('cuts a handshake that starts and never finishes', async () => {
    const before = await metric(s, 'tls');
    // From addresses of their own, so the per-address cap of 1 is theirs alone.
    for (const [port, from] of [[s.tcpPort, '127.0.0.2'], [s.server.wsPort, '127.0.0.3']] as const) {
      const stalled = await connectFrom(port, from);
      // The first bytes of a ClientHello record, and then nothing.
      stalled.socket.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xf0, 0x01]));
      await stalled.closed;
      expect(stalled.text()).toBe('');
    }
    expect(await metric(s, 'tls')).toBeGreaterThanOrEqual(before + 2);
  });
});

describe('reloading the certificate', () => {
  let live: { cert: string; key: string };
  const install = (leaf: Leaf) => {
    copyFileSync(leaf.cert, live.cert);
    copyFileSync(leaf.key, live.key);
  };
  beforeAll(() => {
    live = { cert: path.join(dir, 'live.pem'), key: path.join(dir, 'live.key') };
  });

  it('in process: connections stay up, new handshakes get the new certificate, a bad file keeps the old one', async () => {
    install(first);
    const s = await tlsServer([], live);
    const old = track(await registered(await JsonClient.tls(s.tcpPort, trusted()), 'old'));
    expect(old.socket.getPeerCertificate().fingerprint256).toBe(first.fingerprint);

    install(second);
    await expect(s.server.reloadTls()).resolves.toMatchObject({ fingerprint: second.fingerprint, subject: 'CN=chat-second' });
    const fresh = track(await registered(await JsonClient.tls(s.tcpPort, trusted()), 'fresh'));
    expect(fresh.socket.getPeerCertificate().fingerprint256).toBe(second.fingerprint);
    old.send({ type: 'say', room: '#lobby', text: 'from before the reload' });
    await hears(fresh, 'old', 'from before the reload');
    fresh.send({ type: 'say', room: '#lobby', text: 'from after it' });
    await hears(old, 'fresh', 'from after it');

    writeFileSync(live.cert, 'not a certificate\n');
    await expect(s.server.reloadTls()).rejects.toThrow(`${live.cert} holds no PEM certificate`);
    copyFileSync(first.cert, live.cert);
    await expect(s.server.reloadTls()).rejects.toThrow(`the key in ${live.key} does not belong to the certificate in ${live.cert}`);
    expect(await fingerprintOf(s.tcpPort)).toBe(second.fingerprint);
    expect(await fingerprintOf(s.server.wsPort)).toBe(second.fingerprint);
    expect(s.server.tls?.fingerprint).toBe(second.fingerprint);
    expect(s.logs.filter((r) => r.msg === 'tls reload failed; keeping the certificate in use')).toHaveLength(2);
    expect(old.closed).toBe(false);

    // Shutdown reaches TLS clients as it does plain ones, and a socket mid-handshake does not hold it up.
    const stalled = await connectFrom(s.tcpPort, '127.0.0.1');
    stalled.socket.write(Buffer.from([0x16, 0x03, 0x01]));
    await s.server.stop();
    await old.next('bye');
    await fresh.next('bye');
    await stalled.closed;
  });

  it('by SIGHUP on a real process, while a client stays connected and keeps chatting', async () => {
    install(first);
    const s: RunningServer = await startServer({ args: ['--tls-cert', live.cert, '--tls-key', live.key] });
    cleanups.push(async () => {
      await s.stop();
      removeDir(s.dataDir);
    });
    expect(s.output()).toMatch(/listening wss:\/\/127\.0\.0\.1:\d+\/ tls:\/\/127\.0\.0\.1:\d+ /);
    const stays = track(await registered(await JsonClient.tls(s.tcpPort, trusted()), 'stays'));
    const staysWs = track(await registered(await JsonClient.ws(`wss://127.0.0.1:${s.wsPort}`, trusted()), 'staysws'));

    install(second);
    s.proc.kill('SIGHUP');
    await vi.waitFor(async () => expect(await fingerprintOf(s.tcpPort)).toBe(second.fingerprint), { timeout: 10_000, interval: 50 });
    expect(await fingerprintOf(s.wsPort)).toBe(second.fingerprint);
    const fresh = track(await registered(await JsonClient.tls(s.tcpPort, trusted()), 'fresh'));
    stays.send({ type: 'say', room: '#lobby', text: 'still connected' });
    await hears(fresh, 'stays', 'still connected');
    await hears(staysWs, 'stays', 'still connected');
    staysWs.send({ type: 'say', room: '#lobby', text: 'me as well' });
    await hears(stays, 'staysws', 'me as well');

    // A broken file on SIGHUP: logged, the process lives on with the certificate it had.
    writeFileSync(live.key, 'garbage\n');
    s.proc.kill('SIGHUP');
    await vi.waitFor(() => expect(s.output()).toContain('tls reload failed; keeping the certificate in use'), { timeout: 10_000, interval: 50 });
    expect(await fingerprintOf(s.tcpPort)).toBe(second.fingerprint);
    stays.send({ type: 'ping', ref: 'p1' });
    await stays.next('pong');
    expect(s.proc.exitCode).toBeNull();
    expect(stays.closed || staysWs.closed).toBe(false);
  });
});

/** Runs chat-server to its exit with these flags; returns the exit code and what it wrote. */
function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CHAT_')));
  const proc = spawn(process.execPath, [SERVER_MAIN, '--port', '0', '--tcp-port', '0', '--admin-port', '0', '--data', path.join(dir, 'never'), ...args], {
    env: { ...base, CHAT_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  proc.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  // A server that did start would print its listening line: stop it, the test then fails on the code.
  proc.stdout.on('data', () => { if (stdout.includes('listening')) proc.kill('SIGKILL'); });
  return new Promise((resolve) => proc.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe.concurrent('start-up errors', () => {
  it('refuses one of --tls-cert and --tls-key without the other', async () => {
    const onlyCert = await run(['--tls-cert', first.cert]);
    expect(onlyCert).toMatchObject({ code: 2, stdout: '' });
    expect(onlyCert.stderr).toBe('chat-server: TLS needs both --tls-cert and --tls-key (CHAT_TLS_CERT, CHAT_TLS_KEY); only --tls-cert is set\n');
    const onlyKey = await run([], { CHAT_TLS_KEY: first.key });
    expect(onlyKey).toMatchObject({ code: 2, stderr: expect.stringContaining('only --tls-key is set') });
  });

  it('names the file that is missing, is no PEM, or does not match', async () => {
    const garbage = path.join(dir, 'garbage.pem');
    writeFileSync(garbage, 'hello\n');
    const cases: [string[], string][] = [
      [['--tls-cert', path.join(dir, 'missing.pem'), '--tls-key', first.key], `chat-server: cannot read the TLS certificate ${path.join(dir, 'missing.pem')}: ENOENT`],
      [['--tls-cert', garbage, '--tls-key', first.key], `chat-server: ${garbage} holds no PEM certificate`],
      [['--tls-cert', first.cert, '--tls-key', garbage], `chat-server: ${garbage} holds no usable PEM private key`],
      [['--tls-cert', first.key, '--tls-key', first.key], `holds no PEM certificate`],
      [['--tls-cert', first.cert, '--tls-key', second.key], `chat-server: the key in ${second.key} does not belong to the certificate in ${first.cert}`],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    }
  });

  it('refuses an --allowed-origins entry that is not an origin', async () => {
    const r = await run(['--allowed-origins', 'https://ok.example,https://chat.example.com/path']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("chat-server: --allowed-origins: 'https://chat.example.com/path' is not an origin: scheme://host[:port] with no path, such as https://chat.example.com\n");
  });
});

describe('a server without TLS', () => {
  it('has no certificate to reload, and applies the Origin allow-list to ws:// too', async () => {
    const s = await startInProcess({ args: ['--allowed-origins', 'https://chat.example.com'] });
    cleanups.push(async () => {
      await s.server.stop();
      removeDir(s.dataDir);
    });
    expect(s.server.tls).toBeNull();
    await expect(s.server.reloadTls()).rejects.toThrow('TLS is off');
    track(await registered(await JsonClient.ws(s.wsUrl, { origin: 'https://chat.example.com' }), 'ok'));
    await expect(JsonClient.ws(s.wsUrl, { origin: 'https://other.example' })).rejects.toThrow(/Unexpected server response: 403/);
    // A TLS client on a plain port finds no TLS there.
    const err = await new Promise<Error & { code?: string }>((resolve) => {
      const socket = tls.connect({ port: s.tcpPort, host: '127.0.0.1', ca: certs.caPem }, () => resolve(new Error('connected')));
      socket.on('error', resolve);
    });
    expect(err.message).toMatch(/wrong version number|packet length too long/);
    await expect(JsonClient.ws(`wss://127.0.0.1:${s.server.wsPort}`, trusted())).rejects.toThrow(/wrong version number/);
  });
});
