/**
 * A real redis-server for the cluster lanes, set up as test/helpers/redis.ts does: its own temp dir (the
 * AOF goes there), a unix socket, no TCP port, stopped by PID. INFO is read over the socket with plain RESP.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { track } from './target.js';

export type AppendFsync = 'always' | 'no';

export interface BenchRedis {
  socket: string;
  pid: number;
  appendfsync: AppendFsync;
  /** Fields of `INFO <section>` as numbers (fields that are not numbers are left out). */
  info(section: 'cpu' | 'memory'): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;

export async function startRedis(appendfsync: AppendFsync = 'always'): Promise<BenchRedis> {
  // Short: a unix socket path must fit in 107 bytes.
  const dir = mkdtempSync(path.join(tmpdir(), 'brd-'));
  const socket = path.join(dir, 'r.sock');
  const proc = track(spawn('redis-server', [
    '--port', '0', '--dir', dir, '--unixsocket', socket, '--unixsocketperm', '700',
    '--appendonly', 'yes', '--appendfsync', appendfsync, '--save', '', '--maxmemory-policy', 'noeviction',
    '--daemonize', 'no', '--loglevel', 'warning',
  ], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-4000); });
  proc.stderr!.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-4000); });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const spawnFailed = new Promise<Error>((resolve) => proc.once('error', resolve));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const reply = await Promise.race([command(socket, 'PING').catch(() => ''), spawnFailed.then((e) => { throw e; })]);
    if (reply.startsWith('+PONG')) break;
    if (proc.exitCode !== null || proc.signalCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not start: ${out.trim().split('\n').slice(-3).join(' / ')}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    socket, pid: proc.pid!, appendfsync, stop,
    async info(section) {
      const text = await command(socket, `INFO ${section}`);
      const fields: Record<string, number> = {};
      for (const line of text.split('\r\n')) {
        const [k, v] = line.split(':');
        if (k && v !== undefined && v !== '' && Number.isFinite(Number(v))) fields[k] = Number(v);
      }
      return fields;
    },
  };
}

/** One inline command over a fresh connection; resolves with the raw reply once it is complete. */
function command(socket: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ path: socket });
    let got = '';
    s.setTimeout(5000, () => s.destroy(new Error('redis timeout')));
    s.on('connect', () => s.write(`${line}\r\n`));
    s.on('data', (d) => {
      got += d.toString();
      if (complete(got)) {
        s.destroy();
        resolve(got);
      }
    });
    s.on('error', reject);
  });
}

/** A simple reply ends at its first CRLF; a bulk string ($len) once its length is in. */
function complete(reply: string): boolean {
  if (!reply.startsWith('$')) return reply.includes('\r\n');
  const eol = reply.indexOf('\r\n');
  if (eol === -1) return false;
  const len = Number(reply.slice(1, eol));
  return len < 0 || Buffer.byteLength(reply) >= eol + 2 + len + 2;
}
