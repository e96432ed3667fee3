/** The tutorial `ws` broadcast server from bench/baselines/. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../paths.js';
import { stopProcess, track, watchExit, waitForLine, type Target } from './target.js';

const MAIN = path.join(ROOT, 'dist/bench/baselines/ws-broadcast.js');

export async function startWsTutorial(): Promise<Target> {
  const proc = track(spawn(process.execPath, [MAIN], { stdio: ['ignore', 'pipe', 'pipe'] }));
  try {
    const m = await waitForLine(proc, /listening ws:\/\/127\.0\.0\.1:(\d+)/, 10_000);
    return {
      name: 'ws-tutorial', pid: proc.pid!, ports: { ws: Number(m[1]) }, metricsUrl: null, failure: watchExit(proc),
      stop: () => stopProcess(proc),
    };
  } catch (err) {
    proc.kill('SIGKILL');
    throw err;
  }
}
