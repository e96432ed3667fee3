/**
 * A real redis-server per test file: its own temp dir (AOF there), a unix socket (or a free loopback TCP
 * port), stopped by PID. Ready once it answers PING, polled rather than slept on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface RedisOptions {
  /** Listen on a free 127.0.0.1 port instead of a unix socket. */
  tcp?: boolean;
  appendfsync?: 'always' | 'no' | 'everysec';
  appendonly?: boolean;
  maxmemoryPolicy?: string;
  /** Where the AOF goes; a fresh temp dir by default (removed by stop() only when made here). */
  dir?: string;
}

export interface RunningRedis {
  /** What RedisEngine takes: the socket path, or redis://127.0.0.1:<port>. */
  url: string;
  dir: string;
  readonly pid: number;
  /** Sends `signal` and resolves once the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same dir and the same socket or port (after kill). */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** Everything the server logged (for failure messages). */
  output(): string;
}

const READY_TIMEOUT_MS = 10_000;

export async function startRedis(options: RedisOptions = {}): Promise<RunningRedis> {
  const madeDir = options.dir === undefined;
  // Short: a unix socket path must fit in 107 bytes.
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), 'rd-'));
  const socket = path.join(dir, 'r.sock');
  const port = options.tcp ? await freePort() : 0;
  const url = options.tcp ? `redis://127.0.0.1:${port}` : socket;
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
    '--appendonly', options.appendonly === false ? 'no' : 'yes',
    '--appendfsync', options.appendfsync ?? 'always',
    '--save', '', '--maxmemory-policy', options.maxmemoryPolicy ?? 'noeviction',
    '--daemonize', 'no', '--loglevel', 'warning',
    ...(options.tcp ? [] : ['--unixsocket', socket, '--unixsocketperm', '700']),
  ];
  let proc: ChildProcess;
  let out = '';
  let exited: Promise<void>;

  async function launch(): Promise<void> {
    proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await pings(options.tcp ? { port, host: '127.0.0.1' } : { path: socket }))) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`redis-server exited at start:\n${out}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer PING within ${READY_TIMEOUT_MS} ms:\n${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async function kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    await exited;
  }

  await launch();
  return {
    url,
    dir,
    get pid() { return proc.pid!; },
    kill,
    restart: launch,
    async stop() {
      await kill('SIGKILL');
      if (madeDir) rmSync(dir, { recursive: true, force: true });
    },
    output: () => out,
  };
}

/** One RESP PING over a fresh socket: true when +PONG comes back. */
function pings(target: { path: string } | { port: number; host: string }): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(target as never);
    let got = '';
    const done = (ok: boolean) => { s.destroy(); resolve(ok); };
    s.setTimeout(1000, () => done(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => { got += d.toString(); if (got.includes('\r\n')) done(got.startsWith('+PONG')); });
    s.on('error', () => done(false));
  });
}

/** A loopback port free right now (the kernel's pick, released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
