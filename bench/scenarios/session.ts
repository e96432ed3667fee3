/** Starts a lane's server and generator processes for one scenario, and always stops both. */
import { socketBudget } from '../../server/open-files.js';
import { GeneratorPool } from '../gen/pool.js';
import { startLane, type Lane } from '../lanes.js';
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
): Promise<T> {
  const target = await startLane(lane, connections + 100, oursArgs);
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
  cpuUs: number;
  rssMb: number;
  lagP99Ms: number | null;
}

/** Samples the server at the start and end of a measured window. */
export class ServerMeter {
  private first: ProcSample | null = null;
  private last: ProcSample | null = null;
  private lag: Promise<number | null> = Promise.resolve(null);

  constructor(private readonly target: Target) {}

  readonly hooks = {
    start: () => {
      this.first = sampleProcess(this.target.pid);
      void scrapeLagP99Ms(this.target.metricsUrl);
    },
    end: () => {
      this.last = sampleProcess(this.target.pid);
      this.lag = scrapeLagP99Ms(this.target.metricsUrl);
    },
  };

  async result(): Promise<ServerWindow> {
    const a = this.first;
    const b = this.last ?? sampleProcess(this.target.pid);
    return {
      cpuUs: a ? b.cpuUs - a.cpuUs : 0,
      rssMb: Math.round(b.rssKb / 102.4) / 10,
      lagP99Ms: await this.lag,
    };
  }
}
