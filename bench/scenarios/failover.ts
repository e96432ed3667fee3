/**
 * failover: N clients on node A of a cluster, writers and a presence probe on node B; SIGKILL A and time
 * until every client is back on B (same nick once A's lease lapses, rejoined, history paged back to its
 * last seq with no gap) and B's `who` lists exactly the live members everywhere.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FailoverCmd, FailoverReady, FailoverResult } from '../gen/failover-worker.js';
import { portsOf, type Lane } from '../lanes.js';
import { sampleProcess } from '../targets/proc-stats.js';
import { withSession } from './session.js';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), '../gen/failover-worker.js');

export interface FailoverOptions {
  clients: number;
  rooms: number;
  msgRate: number;
  burstPerRoom: number;
  leaseSec: number;
  retryMs: number;
  /** Steady load before the kill, so A's clients hold recent seqs. */
  steadyMs: number;
  recoverTimeoutMs: number;
  setupTimeoutMs: number;
}

export interface FailoverRow {
  lane: string;
  requested: number;
  ready: number;
  setupMs: number;
  setupError: string | null;
  rooms: number;
  msgRate: number;
  leaseSec: number;
  retryMs: number;
  result: FailoverResult | null;
  /** ms from the kill until all clients were back and presence converged; null when that never happened. */
  recoveredMs: number | null;
  /** CPU over the recovery (kill to result), as a share of one core: node B and Redis. */
  nodeBCpu: number | null;
  redisCpu: number | null;
}

class FailoverWorker {
  readonly proc = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  private readonly waiters: Array<(m: unknown) => void> = [];

  constructor() {
    this.proc.on('message', (m) => this.waiters.shift()?.(m));
    this.proc.on('exit', () => { for (const w of this.waiters.splice(0)) w({ type: 'error', message: 'failover generator exited' }); });
  }

  request<T>(cmd: FailoverCmd): Promise<T> {
    return new Promise((resolve, reject) => {
      this.waiters.push((m) => {
        const r = m as { type: string; message?: string };
        if (r.type === 'error') reject(new Error(r.message));
        else resolve(m as T);
      });
      this.proc.send(cmd);
    });
  }

  /** A reply with no request of its own (the result comes after `killed`). */
  next<T>(): Promise<T> {
    return new Promise((resolve, reject) => this.waiters.push((m) => {
      const r = m as { type: string; message?: string };
      if (r.type === 'error') reject(new Error(r.message));
      else resolve(m as T);
    }));
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) return resolve();
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
      this.proc.once('exit', () => { clearTimeout(timer); resolve(); });
      this.proc.send({ cmd: 'close' });
    });
  }
}

const now = () => performance.timeOrigin + performance.now();

export async function runFailover(lane: Lane, o: FailoverOptions): Promise<FailoverRow> {
  if ((lane.nodes ?? 1) < 2) throw new Error('failover needs a cluster lane of two nodes or more');
  // Each node must hold every client: after the kill, B has them all.
  return withSession(lane, o.clients + 200, 1, async (s) => {
    const [portA, portB] = portsOf(lane, s.target) as [number, number];
    const worker = new FailoverWorker();
    try {
      const ready = await worker.request<FailoverReady>({
        cmd: 'setup', transport: lane.transport === 'ws' ? 'ws' : 'tcp', portA, portB, clients: o.clients, rooms: o.rooms,
        msgRate: o.msgRate, concurrency: 200, setupTimeoutMs: o.setupTimeoutMs, recoverTimeoutMs: o.recoverTimeoutMs,
        retryMs: o.retryMs, burstPerRoom: o.burstPerRoom,
      });
      const row: FailoverRow = {
        lane: lane.id, requested: o.clients, ready: ready.ready, setupMs: Math.round(ready.setupMs), setupError: ready.firstError,
        rooms: o.rooms, msgRate: o.msgRate, leaseSec: o.leaseSec, retryMs: o.retryMs, result: null, recoveredMs: null,
        nodeBCpu: null, redisCpu: null,
      };
      if (ready.ready === 0) return row;
      await new Promise((r) => setTimeout(r, o.steadyMs));
      await worker.request<{ type: 'armed' }>({ cmd: 'arm' });
      const bPid = s.target.nodes![1]!.pid;
      const b0 = sampleProcess(bPid);
      const redisCpu = async () => { const f = await s.target.redis!.info('cpu'); return ((f.used_cpu_user ?? 0) + (f.used_cpu_sys ?? 0)) * 1e6; };
      const r0 = await redisCpu();
      const resultP = worker.next<FailoverResult>();
      const atMs = now();
      s.target.killNode!(0);
      worker.proc.send({ cmd: 'killed', atMs } satisfies FailoverCmd);
      const result = await resultP;
      const b1 = sampleProcess(bPid);
      const wallUs = (now() - atMs) * 1000;
      row.nodeBCpu = Math.round(((b1.cpuUs - b0.cpuUs) / wallUs) * 100) / 100;
      row.redisCpu = Math.round((((await redisCpu()) - r0) / wallUs) * 100) / 100;
      row.result = result;
      row.recoveredMs = !result.timedOut && result.allBackMs !== null && result.convergedMs !== null
        ? Math.max(result.allBackMs, result.convergedMs) : null;
      return row;
    } finally {
      await worker.close();
    }
  }, false, [], { leaseSec: o.leaseSec });
}
