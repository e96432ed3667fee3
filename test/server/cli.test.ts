/** The real chat-server process: flags, environment, start-up failures, and shutdown on signals. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonClient, TextClient } from '../helpers/clients.js';
import { makeTempDir, removeDir, SERVER_MAIN, startServer } from '../helpers/server.js';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) removeDir(d); });

function tempDir(): string {
  const d = makeTempDir('chat-cli-');
  dirs.push(d);
  return d;
}

interface Launched {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

/**
 * Starts dist/server/main.js with exactly these flags and extra environment (CHAT_* cleared first; the
 * admin listener on a free port, since its fixed default may be taken on a shared machine).
 */
function launch(args: string[], env: Record<string, string> = {}): Launched {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CHAT_')));
  const proc = spawn(process.execPath, [SERVER_MAIN, ...args], {
    env: { ...base, CHAT_LOG_LEVEL: 'warn', CHAT_ADMIN_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: tempDir(), // so a default ./data never lands in the repo
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  proc.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  const exited = new Promise<number | null>((resolve) => proc.once('close', (code) => resolve(code)));
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** Runs to completion (killing it after `ms`) and returns its exit code and output. */
async function run(args: string[], env: Record<string, string> = {}, ms = 10_000) {
  const l = launch(args, env);
  const timer = setTimeout(() => l.proc.kill('SIGKILL'), ms);
  const code = await l.exited;
  clearTimeout(timer);
  return { code, stdout: l.stdout(), stderr: l.stderr() };
}

async function waitForListening(l: Launched): Promise<{ wsPort: number; tcpPort: number; adminPort: number; line: string }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const m = /chat-server listening ws:\/\/127\.0\.0\.1:(\d+)\/ tcp:\/\/127\.0\.0\.1:(\d+) admin=http:\/\/127\.0\.0\.1:(\d+)\/ data=(.*)\n/.exec(l.stdout());
    if (m) return { wsPort: Number(m[1]), tcpPort: Number(m[2]), adminPort: Number(m[3]), line: m[0] };
    if (Date.now() > deadline || l.proc.exitCode !== null) throw new Error(`not listening:\n${l.stdout()}${l.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Each of these is a short-lived process of its own; running them side by side keeps the file quick.
describe.concurrent('flags', () => {
  it('--help prints the usage with every option and exits 0', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await run([flag]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout.startsWith('Usage: chat-server [options]\n')).toBe(true);
      for (const opt of ['--host', '--port', '--tcp-port', '--data', '--log-level', '--admin-host', '--admin-port', '--commit-timeout', '--help']) {
        expect(r.stdout).toContain(`  ${opt} `);
      }
      for (const env of ['CHAT_HOST', 'CHAT_PORT', 'CHAT_TCP_PORT', 'CHAT_DATA', 'CHAT_LOG_LEVEL', 'CHAT_ADMIN_HOST', 'CHAT_ADMIN_PORT', 'CHAT_COMMIT_TIMEOUT']) {
        expect(r.stdout).toContain(`env ${env}`);
      }
      expect(r.stdout).not.toContain('listening');
    }
  });

  it.each([
    [['--port', 'abc'], "chat-server: --port must be a whole number from 0 to 65535, got 'abc'\n"],
    [['--port', '70000'], "chat-server: --port must be a whole number from 0 to 65535, got '70000'\n"],
    [['--tcp-port=-1'], "chat-server: --tcp-port must be a whole number from 0 to 65535, got '-1'\n"],
    [['--admin-port', '65536'], "chat-server: --admin-port must be a whole number from 0 to 65535, got '65536'\n"],
    [['--commit-timeout', '0'], "chat-server: --commit-timeout must be a whole number from 1 to 600, got '0'\n"],
    [['--log-level', 'loud'], "chat-server: --log-level must be one of fatal, error, warn, info, debug, trace, silent, got 'loud'\n"],
    [['--limit-exempt', '127.0.0.1,10.0.0.0/33'], "chat-server: --limit-exempt: '10.0.0.0/33' is not an IPv4 or IPv6 address or CIDR block (such as 10.0.0.0/8 or 2001:db8::/32)\n"],
  ])('%j exits 2 with a clear message on stderr', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(message);
    expect(r.stdout).toBe('');
  });

  it('an unknown flag and a flag without its value exit 2 and point at --help', async () => {
    const unknown = await run(['--nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^chat-server: Unknown option '--nope'.*\nRun with --help for the options\.\n$/s);
    const missing = await run(['--port']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^chat-server: Option '--port <value>' argument missing.*\nRun with --help for the options\.\n$/s);
    expect(unknown.stdout + missing.stdout).toBe('');
  });

  it('a bad environment value exits 2 naming the variable', async () => {
    const r = await run([], { CHAT_TCP_PORT: 'seven' });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("chat-server: CHAT_TCP_PORT must be a whole number from 0 to 65535, got 'seven'\n");
  });
});

describe.concurrent('start-up failures', () => {
  it('a data path that is a file exits 1 with a message naming it', async () => {
    const file = path.join(tempDir(), 'not-a-folder');
    writeFileSync(file, 'x');
    const r = await run(['--port', '0', '--tcp-port', '0', '--data', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^chat-server: cannot use data folder '${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}': EEXIST[^\\n]*\\n$`));
    expect(r.stdout).toBe('');
    const below = path.join(file, 'sub');
    const r2 = await run(['--port', '0', '--tcp-port', '0', '--data', below]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain(`cannot use data folder '${below}': ENOTDIR`);
  });

  it.each([
    ['--port', ''], ['--tcp-port', ''], ['--admin-port', ' (admin)'],
  ])('%s already in use exits 1 naming the address', async (flag, which) => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const args = ['--host', '127.0.0.1', '--port', '0', '--tcp-port', '0', '--admin-port', '0', '--data', tempDir()];
      args[args.indexOf(flag) + 1] = String(port);
      const r = await run(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`chat-server: cannot listen on 127.0.0.1${which}: listen EADDRINUSE: address already in use 127.0.0.1:${port}\n`);
      expect(r.stdout).toBe('');
    } finally {
      blocker.close();
    }
  });
});

describe('environment', () => {
  it('CHAT_PORT, CHAT_TCP_PORT, CHAT_DATA, CHAT_SERVER_NAME configure the server; flags win over them', async () => {
    const data = path.join(tempDir(), 'nested', 'data');
    const l = launch([], {
      CHAT_HOST: '127.0.0.1', CHAT_PORT: '0', CHAT_TCP_PORT: '0', CHAT_DATA: data,
      CHAT_SERVER_NAME: 'envchat', CHAT_MOTD: 'from the env',
    });
    try {
      const { wsPort, tcpPort, adminPort, line } = await waitForListening(l);
      expect(line).toBe(`chat-server listening ws://127.0.0.1:${wsPort}/ tcp://127.0.0.1:${tcpPort} admin=http://127.0.0.1:${adminPort}/ data=${data}\n`);
      expect(adminPort).toBeGreaterThan(0);
      expect(wsPort).toBeGreaterThan(0);
      expect(tcpPort).toBeGreaterThan(0);
      expect(existsSync(path.join(data, 'chat.db'))).toBe(true);
      const c = await JsonClient.ws(`ws://127.0.0.1:${wsPort}`);
      c.send({ type: 'hello', nick: 'envy' });
      expect(await c.next('welcome')).toMatchObject({ server: 'envchat', motd: 'from the env' });
      c.close();
    } finally {
      l.proc.kill('SIGTERM');
      expect(await l.exited).toBe(0);
    }

    const flagged = launch(['--server-name', 'flagchat', '--tcp-port', '0', '--data', data], { CHAT_PORT: '0', CHAT_SERVER_NAME: 'envchat' });
    try {
      const { wsPort } = await waitForListening(flagged);
      const c = await JsonClient.ws(`ws://127.0.0.1:${wsPort}`);
      c.send({ type: 'hello', nick: 'flaggy' });
      expect(await c.next('welcome')).toMatchObject({ server: 'flagchat' });
      c.close();
    } finally {
      flagged.proc.kill('SIGTERM');
      expect(await flagged.exited).toBe(0);
    }
  });
});

describe.each(['SIGTERM', 'SIGINT'] as const)('%s with clients connected', (signal) => {
  it('every client gets bye{shutdown} and then the close; the process exits 0 in under 5 s', async () => {
    const server = await startServer();
    dirs.push(server.dataDir);
    const w = await JsonClient.registered('ws', server.wsUrl, 'wsUser');
    const j = await JsonClient.registered('tcp', server.tcpPort, 'tcpUser');
    const t = await TextClient.connect(server.tcpPort);
    t.write('textUser\r\n');
    await t.waitFor(/\*\*\* #lobby \(3\): /);
    let wsCloseCode = 0;
    (w as JsonClient & { socket: import('ws').WebSocket }).socket.on('close', (code) => { wsCloseCode = code; });
    // A message acked before the signal is in history after a restart.
    w.send({ type: 'say', room: '#lobby', text: `before ${signal}`, ref: 'pre' });
    await w.next('ack');

    const started = Date.now();
    const code = await server.stop(signal);
    const took = Date.now() - started;
    expect(code).toBe(0);
    expect(took).toBeLessThan(5000);

    await Promise.all([w.closedPromise, j.closedPromise]);
    const deadline = Date.now() + 2000;
    while (!t.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    for (const c of [w, j]) {
      expect(c.closed).toBe(true);
      expect(c.received.at(-1)).toEqual({ type: 'bye', reason: 'shutdown' });
      expect(c.received.filter((m) => m.type === 'bye')).toHaveLength(1);
    }
    expect(wsCloseCode).toBe(1001);
    expect(t.closed).toBe(true);
    expect(t.text.endsWith('*** bye: shutdown\r\n')).toBe(true);
    // Everyone leaves together: nobody is shown the others leaving first.
    expect(t.text).not.toMatch(/<- \w+ left/);
    for (const c of [w, j]) expect(c.received.filter((m) => m.type === 'left')).toEqual([]);
    // Clients that close when told do not make shutdown wait out the grace period.
    expect(took).toBeLessThan(2500);

    const again = await startServer({ dataDir: server.dataDir });
    try {
      const c = await JsonClient.ws(again.wsUrl);
      c.send({ type: 'hello', nick: 'after' });
      const history = await c.next('history');
      expect(history.type === 'history' && history.messages.map((m) => m.text)).toEqual([`before ${signal}`]);
      c.close();
    } finally {
      expect(await again.stop()).toBe(0);
    }
  });
});
