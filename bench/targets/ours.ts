/**
 * The production build of our server, with a fresh data folder and flood control off; or, for the
 * attacks scenario and the soak, with every default limit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../paths.js';
import { stopProcess, track, watchExit, waitForLine, type Target } from './target.js';

export const SERVER_MAIN = path.join(ROOT, 'dist/server/main.js');
/**
 * Node flags the server runs with, as `npm start` gives them (a test keeps the two equal). A young
 * generation of 8 MB per semi-space instead of Node's default held 1.6M deliveries/s with a lower p99
 * and cut idle memory per connection, since a fill no longer balloons the young generation.
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=8'];

export interface OursOptions {
  /**
   * 'off' (the throughput scenarios): no flood control, no room rate, `maxConnections`. 'default': the
   * limits as shipped, except that loopback is not exempt from the per-address ones (where the server
   * has them): the generators' 127.x.y.z addresses stand for remote users.
   */
  limits?: 'off' | 'default';
  /** Another build's server/main.js (the `-before` lanes run the build from before the cluster engine). */
  serverMain?: string;
}

/** Flags set only to turn limits off; 'default' drops them. */
const LIMITS_OFF = new Set(['--rate-limit', '--room-rate', '--max-connections']);

function serverHasOption(flag: string): boolean {
  const help = spawnSync(process.execPath, [SERVER_MAIN, '--help'], { encoding: 'utf8', timeout: 15_000 });
  return `${help.stdout}`.includes(`--${flag} `);
}

function withDefaultLimits(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (LIMITS_OFF.has(args[i]!)) i++;
    else out.push(args[i]!);
  }
  return serverHasOption('limit-exempt') ? [...out, '--limit-exempt', ''] : out;
}

/** The start-up line, to its end (`data=` or `redis=`), so the IRC port, printed only with --irc-port, is in it when there. */
const LISTENING = /listening ws:\/\/127\.0\.0\.1:(\d+)\/ tcp:\/\/127\.0\.0\.1:(\d+) admin=http:\/\/127\.0\.0\.1:(\d+)\/(?: irc:\/\/127\.0\.0\.1:(\d+)\/)? (?:data|redis)=/;

export async function startOurs(maxConnections: number, extraArgs: string[] = [], opts: OursOptions = {}): Promise<Target> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chat-bench-'));
  const args = [
    opts.serverMain ?? SERVER_MAIN, '--host', '127.0.0.1', '--port', '0', '--tcp-port', '0', '--admin-port', '0', '--data', dataDir,
    '--log-level', 'warn', '--rate-limit', '0', '--room-rate', '0', '--max-connections', String(maxConnections), ...extraArgs,
  ];
  const serverArgs = opts.limits === 'default' ? withDefaultLimits(args) : args;
  // BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server under load.
  const nodeArgs = [...SERVER_NODE_FLAGS, ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const proc = track(spawn(process.execPath, [...nodeArgs, ...serverArgs], { stdio: ['ignore', 'pipe', 'pipe'] }));
  try {
    const m = await waitForLine(proc, LISTENING, 15_000);
    return {
      name: 'ours', pid: proc.pid!, ports: { ws: Number(m[1]), tcp: Number(m[2]), ...(m[4] ? { irc: Number(m[4]) } : {}) },
      metricsUrl: `http://127.0.0.1:${m[3]}/metrics`, failure: watchExit(proc),
      async stop() {
        await stopProcess(proc);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    proc.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}
