/** ngIRCd from the distribution, with bench/baselines/ngircd.conf; absent on machines without it. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../paths.js';
import { stopProcess, track, watchExit, type Target } from './target.js';

const CANDIDATES = ['/usr/sbin/ngircd', '/usr/bin/ngircd', '/usr/local/sbin/ngircd'];
const CONF = path.join(ROOT, 'bench/baselines/ngircd.conf');

export function findNgircd(): string | null {
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startNgircd(maxConnections: number): Promise<Target> {
  const bin = findNgircd();
  if (!bin) throw new Error('ngircd is not installed');
  const dir = mkdtempSync(path.join(tmpdir(), 'ngircd-bench-'));
  const port = await freePort();
  const conf = path.join(dir, 'ngircd.conf');
  writeFileSync(conf, readFileSync(CONF, 'utf8').replaceAll('@PORT@', String(port)).replaceAll('@MAXCONN@', String(maxConnections)));
  // -n keeps it in the foreground, so it is our child and dies with the bench.
  const proc = track(spawn(bin, ['-n', '-f', conf], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let log = '';
  const keep = (d: Buffer) => { log = (log + d.toString()).slice(-4096); };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) break;
    if (await canConnect(port)) {
      return {
        name: 'ngircd', pid: proc.pid!, ports: { irc: port }, metricsUrl: null, failure: watchExit(proc),
        async stop() {
          await stopProcess(proc);
          cleanup();
        },
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGKILL');
  cleanup();
  throw new Error(`ngircd did not start:\n${log}`);
}
