/**
 * Cluster mode: one real redis-server (AOF, `appendfsync always` unless asked otherwise) and N nodes of the
 * production build pointed at it, each started as the `ours` target is (flood control off, fresh data
 * folder, same Node flags) plus `--redis <socket>`.
 */
import { startOurs } from './ours.js';
import { startRedis, type AppendFsync } from './redis.js';
import type { Target } from './target.js';

export interface ClusterTargetOptions {
  /** Redis's appendfsync: 'always' is what cluster mode asks for; 'no' is the single-node guarantee. */
  appendfsync?: AppendFsync;
  /** --node-lease in seconds (the server's default, 10, when absent). */
  leaseSec?: number;
}

export async function startOursCluster(
  nodes: number, maxConnections: number, extraArgs: string[] = [], o: ClusterTargetOptions = {},
): Promise<Target> {
  const redis = await startRedis(o.appendfsync ?? 'always');
  const started: Target[] = [];
  const killed = new Set<number>();
  const stop = async () => {
    await Promise.all(started.map((n) => n.stop()));
    await redis.stop();
  };
  try {
    for (let i = 0; i < nodes; i++) {
      started.push(await startOurs(maxConnections, [
        '--redis', redis.socket, '--node-name', `n${i}`, ...(o.leaseSec ? ['--node-lease', String(o.leaseSec)] : []), ...extraArgs,
      ]));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const first = started[0]!;
  return {
    name: 'ours-cluster', pid: first.pid, ports: first.ports, metricsUrl: first.metricsUrl,
    nodes: started.map((n) => ({ pid: n.pid, ports: n.ports, metricsUrl: n.metricsUrl })),
    redis,
    failure() {
      for (const [i, n] of started.entries()) {
        const died = killed.has(i) ? null : n.failure();
        if (died) return `node n${i} ${died}`;
      }
      return null;
    },
    killNode(i) {
      killed.add(i);
      process.kill(started[i]!.pid, 'SIGKILL');
    },
    stop,
  };
}
