/** Several real server processes sharing one real redis-server: a cluster on loopback. */
import { startServer, type RunningServer } from './server.js';

export interface ClusterOptions {
  /** Seconds of a node's lease (short in tests, so that deaths are noticed quickly). */
  lease?: number;
  args?: string[];
}

export function startNode(redisUrl: string, options: ClusterOptions = {}): Promise<RunningServer> {
  return startServer({ args: ['--redis', redisUrl, '--node-lease', String(options.lease ?? 3), ...(options.args ?? [])] });
}

export async function startCluster(redisUrl: string, nodes: number, options: ClusterOptions = {}): Promise<RunningServer[]> {
  const started: RunningServer[] = [];
  for (let i = 0; i < nodes; i++) started.push(await startNode(redisUrl, { ...options, args: ['--node-name', `n${i}`, ...(options.args ?? [])] }));
  return started;
}
