/** Opens the cluster engine. Loaded only with --redis: a single node never loads the Redis client. */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { OpenedEngine } from './opened.js';
import { RedisEngine } from './redis-engine.js';

export async function openRedisEngine(config: Config, log: Logger): Promise<OpenedEngine> {
  const engine = new RedisEngine({
    url: config.redis,
    nodeName: config.nodeName || undefined,
    leaseMs: config.nodeLeaseMs,
    busMaxLen: config.busMaxLen,
    historyMax: config.historyMax,
    allowEverysec: config.redisAllowEverysec,
    log,
  });
  // The engine's start (settings, lease, bus reader) runs when the hub starts it; stop() lets go of Redis.
  return { engine, close: async () => {}, stats: () => ({ ...engine.stats() }) };
}
