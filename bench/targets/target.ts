/** A server under test, running as a child process. */
import type { ChildProcess } from 'node:child_process';
import type { Transport } from '../gen/conn.js';
import type { BenchRedis } from './redis.js';

export type TargetName = 'ours' | 'ours-cluster' | 'ws-tutorial' | 'ngircd';

/** One server process of a cluster. */
export interface TargetNode {
  pid: number;
  ports: Partial<Record<Transport, number>>;
  metricsUrl: string | null;
}

export interface Target {
  name: TargetName;
  pid: number;
  /** The port for each transport this target speaks. */
  ports: Partial<Record<Transport, number>>;
  /** The Prometheus endpoint, when the target has one. */
  metricsUrl: string | null;
  /** Why the process is gone before stop() (exit code and the end of its output), or null. */
  failure(): string | null;
  stop(): Promise<void>;
  /** A cluster's nodes (the first is also `pid`, `ports` and `metricsUrl` above) and the Redis they share. */
  nodes?: TargetNode[];
  redis?: BenchRedis;
  /** SIGKILLs node `i` of a cluster; its death is then not a failure of the run. */
  killNode?(i: number): void;
}

/** Keeps the end of a child's output and tells whether it died on its own. */
export function watchExit(proc: ChildProcess): () => string | null {
  let tail = '';
  const keep = (d: Buffer) => { tail = (tail + d.toString()).slice(-2000); };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  let died: string | null = null;
  proc.once('exit', (code, signal) => {
    if (!proc.killed) died = `exited (${signal ?? code}) during the run: ${tail.trim().split('\n').slice(-5).join(' / ')}`;
  });
  return () => died;
}

const live = new Set<ChildProcess>();
// However the bench ends, no server it started outlives it.
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

/** Tracks a server process until it exits. */
export function track<T extends ChildProcess>(proc: T): T {
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  return proc;
}

/** Resolves once `re` matches the child's stdout; rejects when it exits or `ms` pass first. */
export function waitForLine(proc: ChildProcess, re: RegExp, ms: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no start-up line within ${ms} ms:\n${out}`)), ms);
    const onData = (d: Buffer) => {
      out = (out + d.toString()).slice(-8192);
      const m = re.exec(out);
      if (m) {
        clearTimeout(timer);
        proc.stdout?.off('data', onData);
        proc.stdout?.resume();
        resolve(m);
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-8192); });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening:\n${out}`));
    });
  });
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
export function stopProcess(proc: ChildProcess, graceMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}
