/**
 * The parent's handle on several generator processes: splits connections and rate between them and
 * merges what they measure.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Histogram, type Percentiles } from './histogram.js';
import type {
  ConnectedReply, ParentCmd, ResultReply, SentReply, StalledReply, WorkerReply,
} from './ipc.js';
import type { Transport } from './conn.js';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker.js');
/** A generator process is called saturated above this share of one core. */
export const SATURATED_CPU = 0.9;

export interface ConnectPlan {
  transport: Transport;
  /** One port, or a cluster's: connection i goes to ports[i % ports.length]. */
  port: number | number[];
  count: number;
  rooms: string[];
  nickPrefix: string;
  /** Source addresses per process (127.0.0.x), to spread ephemeral ports; empty means the default. */
  localAddresses?: string[][];
  concurrency?: number;
  timeoutMs?: number;
}

export interface ConnectResult {
  ready: number;
  failed: number;
  firstError: string | null;
  elapsedMs: number;
  handshake: Percentiles;
}

export interface LoadPlan {
  /** Aggregate messages per second over all senders. */
  msgRate: number;
  senders: number;
  warmupMs: number;
  measureMs: number;
  textLen?: number;
  withRef?: boolean;
  drainTimeoutMs?: number;
}

export interface LoadResult {
  offeredMsgRate: number;
  sent: number;
  delivered: number;
  expected: number;
  deliveredRatio: number;
  deliveriesPerSec: number;
  latency: Percentiles;
  /** On a cluster: deliveries whose sender was on the receiver's node, and on another node. */
  latencySameNode?: Percentiles;
  latencyCrossNode?: Percentiles;
  acks: number;
  acksExpected: number;
  ackLatency: Percentiles;
  /** Acks per second over the measured window, or over the span of acks when they came later. */
  acksPerSec: number;
  dropped: number;
  sendLagMaxMs: number;
  generatorCpu: number[];
  generatorLoopDelayP99Ms: number;
  generatorSaturated: boolean;
}

class WorkerHandle {
  private readonly waiters: Array<(r: WorkerReply) => void> = [];
  readonly proc: ChildProcess;

  constructor() {
    this.proc = fork(WORKER, [], { execArgv: process.env.BENCH_PROFILE_GEN ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.proc.on('message', (m) => this.waiters.shift()?.(m as WorkerReply));
    this.proc.on('exit', () => {
      for (const w of this.waiters.splice(0)) w({ type: 'error', message: 'generator process exited' });
    });
  }

  request<T extends WorkerReply>(cmd: ParentCmd): Promise<T> {
    return new Promise((resolve, reject) => {
      this.waiters.push((r) => (r.type === 'error' ? reject(new Error(r.message)) : resolve(r as T)));
      this.proc.send(cmd);
    });
  }
}

function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

export class GeneratorPool {
  private readonly workers: WorkerHandle[];

  constructor(readonly processes: number) {
    this.workers = Array.from({ length: processes }, () => new WorkerHandle());
  }

  async connect(plan: ConnectPlan): Promise<ConnectResult> {
    const counts = split(plan.count, this.workers.length);
    let first = 0;
    const replies = await Promise.all(this.workers.map((w, i) => {
      const cmd: ParentCmd = {
        cmd: 'connect', transport: plan.transport, host: '127.0.0.1', ports: typeof plan.port === 'number' ? [plan.port] : plan.port,
        localAddresses: plan.localAddresses?.[i] ?? [], nickPrefix: plan.nickPrefix, first, count: counts[i]!,
        rooms: plan.rooms, concurrency: plan.concurrency ?? 200, timeoutMs: plan.timeoutMs ?? 60_000,
      };
      first += counts[i]!;
      return w.request<ConnectedReply>(cmd);
    }));
    const hs = new Histogram();
    for (const r of replies) hs.addSparse(r.handshake);
    return {
      ready: replies.reduce((a, r) => a + r.ready, 0),
      failed: replies.reduce((a, r) => a + r.failed, 0),
      firstError: replies.find((r) => r.firstError)?.firstError ?? null,
      elapsedMs: Math.max(...replies.map((r) => r.elapsedMs)),
      handshake: hs.summaryMs(),
    };
  }

  /** Runs one open-loop load; `window` hooks fire when the measured window starts and ends. */
  async load(plan: LoadPlan, window?: { start(): void; end(): void }): Promise<LoadResult> {
    const epochMs = Math.floor(performance.timeOrigin + performance.now());
    // Start a little later so every process has the command before the first message is due.
    const startUs = 100_000;
    const measureFromUs = startUs + plan.warmupMs * 1000;
    const endUs = measureFromUs + plan.measureMs * 1000;
    const senders = split(plan.senders, this.workers.length);
    // The window's end must fire even when every reply is in before its timer (a slow room drains at
    // once): a lost end left the large room's event-loop lag unmeasured.
    let ended = !window;
    const end = () => {
      if (ended) return;
      ended = true;
      window!.end();
    };
    const timers = window ? [setTimeout(window.start, measureFromUs / 1000), setTimeout(end, endUs / 1000)] : [];
    const sentReplies = await Promise.all(this.workers.map((w, i) => w.request<SentReply>({
      cmd: 'load', epochMs, startUs, measureFromUs, endUs,
      msgRate: (plan.msgRate * senders[i]!) / Math.max(1, plan.senders), senders: senders[i]!,
      textLen: plan.textLen ?? 64, withRef: plan.withRef ?? false,
    })));
    const totalSentByRoom: Record<string, number> = {};
    for (const r of sentReplies) {
      for (const [room, n] of Object.entries(r.sentByRoom)) totalSentByRoom[room] = (totalSentByRoom[room] ?? 0) + n;
    }
    const results = await Promise.all(this.workers.map((w) => w.request<ResultReply>({
      cmd: 'drain', totalSentByRoom, timeoutMs: plan.drainTimeoutMs ?? 3000,
    })));
    timers.forEach(clearTimeout);
    end();
    return merge(plan, totalSentByRoom, sentReplies, results);
  }

  /** Stops reading on every ready connection; returns how many. */
  async stall(): Promise<number> {
    const replies = await Promise.all(this.workers.map((w) => w.request<StalledReply>({ cmd: 'stall' })));
    return replies.reduce((a, r) => a + r.paused, 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => new Promise<void>((resolve) => {
      if (w.proc.exitCode !== null || w.proc.signalCode !== null) return resolve();
      const timer = setTimeout(() => w.proc.kill('SIGKILL'), 3000);
      w.proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      w.proc.send({ cmd: 'close' });
    })));
  }
}

function merge(plan: LoadPlan, bySent: Record<string, number>, sent: SentReply[], results: ResultReply[]): LoadResult {
  const lat = new Histogram();
  const same = new Histogram();
  const cross = new Histogram();
  const ack = new Histogram();
  for (const r of results) {
    lat.addSparse(r.latency);
    same.addSparse(r.latencySameNode);
    cross.addSparse(r.latencyCrossNode);
    ack.addSparse(r.ackLatency);
  }
  const delivered = results.reduce((a, r) => a + r.delivered, 0);
  const expected = results.reduce((a, r) => a + r.expected, 0);
  const acks = results.reduce((a, r) => a + r.acks, 0);
  const firstAck = Math.min(...results.filter((r) => r.firstAckUs > 0).map((r) => r.firstAckUs));
  const lastAck = Math.max(...results.map((r) => r.lastAckUs));
  const cpus = results.map((r) => Math.round(r.cpu * 100) / 100);
  return {
    offeredMsgRate: plan.msgRate,
    sent: Object.values(bySent).reduce((a, n) => a + n, 0),
    delivered,
    expected,
    deliveredRatio: expected ? delivered / expected : 1,
    deliveriesPerSec: delivered / (plan.measureMs / 1000),
    latency: lat.summaryMs(),
    ...(same.count + cross.count > 0 ? { latencySameNode: same.summaryMs(), latencyCrossNode: cross.summaryMs() } : {}),
    acks,
    acksExpected: results.reduce((a, r) => a + r.acksExpected, 0),
    ackLatency: ack.summaryMs(),
    acksPerSec: acks > 1 ? acks / (Math.max(plan.measureMs * 1000, lastAck - firstAck) / 1e6) : 0,
    dropped: results.reduce((a, r) => a + r.dropped, 0),
    sendLagMaxMs: Math.max(...sent.map((s) => s.sendLagMaxMs)),
    generatorCpu: cpus,
    generatorLoopDelayP99Ms: Math.max(...results.map((r) => r.loopDelayP99Ms)),
    generatorSaturated: cpus.some((c) => c > SATURATED_CPU),
  };
}
