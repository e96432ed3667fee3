/** Starts a lane's server and generator processes for one scenario, and always stops both. */
import { socketBudget } from '../../server/open-files.js';
import { GeneratorPool } from '../gen/pool.js';
import { startLane, type Lane } from '../lanes.js';
import type { ClusterTargetOptions } from '../targets/ours-cluster.js';
import { openFilesLimit, sampleProcess, scrapeLagP99Ms, type ProcSample } from '../targets/proc-stats.js';
import type { Target } from '../targets/target.js';

/** Descriptors a process keeps for itself besides its sockets. */
const FD_RESERVE = 200;

export interface Session {
  lane: Lane;
  target: Target;
  pool: GeneratorPool;
}

/** Generator processes needed so that none holds more sockets than the open-files limit allows. */
export function processesFor(connections: number, wanted: number): number {
  return Math.max(wanted, Math.ceil(connections / (openFilesLimit() - FD_RESERVE)));
}

/**
 * The most connections one server process can hold under the open-files limit: the server keeps
 * descriptors in reserve and lowers --max-connections to fit (withSession asks for 100 more).
 */
export function maxServerConnections(): number {
  return Math.min(openFilesLimit() - FD_RESERVE, socketBudget(Number.MAX_SAFE_INTEGER, openFilesLimit()).maxConnections - 100);
}

/** A server that dies during `fn` fails the lane, unless `keepResult` (saturate reports it as its stop reason). */
export async function withSession<T>(
  lane: Lane, connections: number, procs: number, fn: (s: Session) => Promise<T>, keepResult = false, oursArgs: string[] = [],
  cluster: ClusterTargetOptions = {},
): Promise<T> {
  const target = await startLane(lane, connections + 100, oursArgs, cluster);
  const pool = new GeneratorPool(processesFor(connections, procs));
  try {
    const result = await fn({ lane, target, pool });
    const died = target.failure();
    if (died && !keepResult) throw new Error(`server ${died}`);
    return result;
  } finally {
    await pool.close();
    await target.stop();
  }
}

export interface ServerWindow {
  /** CPU of every server-side process over the window: the server, or a cluster's nodes and its Redis. */
  cpuUs: number;
  rssMb: number;
  /** The worst node's event-loop lag p99. */
  lagP99Ms: number | null;
  /** On a cluster: the split of cpuUs. */
  cluster?: ClusterWindow;
}

export interface ClusterWindow {
  /** Each node's CPU over the window, from /proc. */
  nodeCpuUs: number[];
  nodeRssMb: number[];
  nodeLagP99Ms: Array<number | null>;
  /** Redis's CPU over the window: the delta of INFO cpu used_cpu_user + used_cpu_sys. */
  redisCpuUs: number;
}

const mb = (kb: number) => Math.round(kb / 102.4) / 10;

/** Samples the server (every node and Redis, on a cluster) at the start and end of a measured window. */
export class ServerMeter {
  private first: ProcSample[] = [];
  private last: ProcSample[] | null = null;
  private redisFirst: Promise<number | null> = Promise.resolve(null);
  private redisLast: Promise<number | null> = Promise.resolve(null);
  private lags: Array<Promise<number | null>> = [];
  private readonly pids: number[];
  private readonly urls: Array<string | null>;

  constructor(private readonly target: Target) {
    this.pids = target.nodes ? target.nodes.map((n) => n.pid) : [target.pid];
    this.urls = target.nodes ? target.nodes.map((n) => n.metricsUrl) : [target.metricsUrl];
  }

  private redisCpuUs(): Promise<number | null> {
    const redis = this.target.redis;
    if (!redis) return Promise.resolve(null);
    return redis.info('cpu').then((f) => ((f.used_cpu_user ?? 0) + (f.used_cpu_sys ?? 0)) * 1e6, () => null);
  }

  readonly hooks = {
    start: () => {
      this.first = this.pids.map(sampleProcess);
      this.redisFirst = this.redisCpuUs();
      for (const u of this.urls) void scrapeLagP99Ms(u);
    },
    end: () => {
      this.last = this.pids.map(sampleProcess);
      this.redisLast = this.redisCpuUs();
      this.lags = this.urls.map(scrapeLagP99Ms);
    },
  };

  async result(): Promise<ServerWindow> {
    const b = this.last ?? this.pids.map(sampleProcess);
    const nodeCpuUs = b.map((s, i) => (this.first[i] ? s.cpuUs - this.first[i]!.cpuUs : 0));
    const lags = await Promise.all(this.lags);
    const known = lags.filter((l): l is number => l !== null);
    const lagP99Ms = known.length ? Math.max(...known) : null;
    const rssKb = b.reduce((a, s) => a + s.rssKb, 0);
    if (!this.target.nodes) return { cpuUs: nodeCpuUs[0]!, rssMb: mb(rssKb), lagP99Ms };
    const [r0, r1] = await Promise.all([this.redisFirst, this.redisLast]);
    const redisCpuUs = r0 !== null && r1 !== null ? Math.round(r1 - r0) : 0;
    return {
      cpuUs: nodeCpuUs.reduce((a, c) => a + c, 0) + redisCpuUs,
      rssMb: mb(rssKb),
      lagP99Ms,
      cluster: { nodeCpuUs, nodeRssMb: b.map((s) => mb(s.rssKb)), nodeLagP99Ms: lags, redisCpuUs },
    };
  }
}
