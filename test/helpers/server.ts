/**
 * Boots the real, built server (dist/server/main.js) as a child process on ephemeral loopback ports
 * with its own temp data folder. `npm test` builds first, so dist/ is current.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SERVER_MAIN = path.join(ROOT, 'dist/server/main.js');

export interface RunningServer {
  proc: ChildProcess;
  wsPort: number;
  tcpPort: number;
  /** The IRC port, when started with --irc-port. */
  ircPort: number | null;
  /** The admin listener's port (GET /healthz, /metrics). */
  adminPort: number;
  wsUrl: string;
  dataDir: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends `signal` and resolves with the exit code (or null) once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  dataDir?: string;
  wsPort?: number;
  tcpPort?: number;
  args?: string[];
  env?: Record<string, string>;
  /** Options for node itself, before the script (a test-only `--import` preload, say). */
  nodeArgs?: string[];
  /** A command the server runs under, such as `['prlimit', '--nofile=300:300']` (it must exec the server, keeping its pid). */
  wrapper?: string[];
}

export function makeTempDir(prefix = 'chat-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

// Over TLS the line says wss:// and tls://.
const LISTENING_RE = /listening wss?:\/\/127\.0\.0\.1:(\d+)\/ (?:tcp|tls):\/\/127\.0\.0\.1:(\d+) admin=http:\/\/127\.0\.0\.1:(\d+)\//;

export async function startServer(opts: StartOptions = {}): Promise<RunningServer> {
  const dataDir = opts.dataDir ?? makeTempDir();
  const args = [
    SERVER_MAIN, '--host', '127.0.0.1',
    '--port', String(opts.wsPort ?? 0), '--tcp-port', String(opts.tcpPort ?? 0), '--admin-port', '0',
    '--data', dataDir, '--log-level', 'warn', ...(opts.args ?? []),
  ];
  const [command, ...wrapperArgs] = [...(opts.wrapper ?? []), process.execPath];
  const proc = spawn(command!, [...wrapperArgs, ...(opts.nodeArgs ?? []), ...args], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const ports = await new Promise<[number, number, number, number | null]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 15_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = LISTENING_RE.exec(out);
      // The whole line: the IRC port comes after the admin one.
      if (m && out.slice(m.index).includes('\n')) {
        clearTimeout(timer);
        const irc = / ircs?:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
        resolve([Number(m[1]), Number(m[2]), Number(m[3]), irc ? Number(irc[1]) : null]);
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });
  return {
    proc,
    wsPort: ports[0],
    tcpPort: ports[1],
    adminPort: ports[2],
    ircPort: ports[3],
    wsUrl: `ws://127.0.0.1:${ports[0]}`,
    dataDir,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * For a test file that starts servers with different options: `serverWith(args)` starts one, and every
 * one started is stopped (and its data folder removed) after the file's tests.
 */
export function serverPool(): (args: string[], opts?: StartOptions) => Promise<RunningServer> {
  const servers: RunningServer[] = [];
  afterAll(async () => {
    for (const s of servers) { await s.stop(); removeDir(s.dataDir); }
  });
  return async (args, opts = {}) => {
    const s = await startServer({ ...opts, args: [...(opts.args ?? []), ...args] });
    servers.push(s);
    return s;
  };
}
