/**
 * Opening the cluster engine's Redis connections, and refusing a Redis whose settings would break the
 * promises (an acked message survives a Redis crash; seqs are never reused).
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../log.js';

/** `url` is redis://host:port (or rediss://…) or a unix socket path. */
export function openConnection(url: string, name: string, log: Logger, extra: RedisOptions): Redis {
  const common: RedisOptions = {
    lazyConnect: true,
    connectTimeout: 3000,
    connectionName: name,
    // Keep trying (a restarting Redis reloads its AOF), but not slower than once a second.
    retryStrategy: (times) => Math.min(50 * times, 1000),
  };
  const conn = url.startsWith('/') ? new Redis({ ...common, ...extra, path: url }) : new Redis(url, { ...common, ...extra });
  let lastLogged = 0;
  conn.on('error', (err: Error) => {
    // One line a few seconds while Redis is away, not one per retry.
    if (Date.now() - lastLogged < 5000) return;
    lastLogged = Date.now();
    log.warn({ err: err.message, connection: name }, 'redis connection error');
  });
  return conn;
}

/** Connects all, or throws an operator-facing Error within `timeoutMs` (and drops every connection). */
export async function connectAll(conns: Redis[], url: string, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([Promise.all(conns.map((c) => c.connect())), timeout]);
  } catch (err) {
    for (const c of conns) c.disconnect();
    throw new Error(`cannot reach Redis at ${url}: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Checks appendonly, appendfsync and maxmemory-policy. Throws an Error saying what to change; logs a
 * note for `appendfsync no` (the single-node guarantee: survives a crash of Redis, not of the machine).
 */
export async function checkSettings(conn: Redis, url: string, allowEverysec: boolean, log: Logger): Promise<void> {
  const get = async (name: string): Promise<string> => {
    try {
      const reply = (await conn.config('GET', name)) as string[];
      return reply[1] ?? '';
    } catch (err) {
      throw new Error(
        `cannot read the settings of Redis at ${url} (CONFIG GET ${name}: ${(err as Error).message}); ` +
          'cluster mode checks appendonly, appendfsync and maxmemory-policy at start-up',
      );
    }
  };
  const [appendonly, appendfsync, policy] = await Promise.all([get('appendonly'), get('appendfsync'), get('maxmemory-policy')]);
  if (appendonly !== 'yes') {
    throw new Error(
      `Redis at ${url} runs with appendonly ${appendonly}: cluster mode needs 'appendonly yes' (with 'appendfsync always'), ` +
        'or acknowledged messages are lost when Redis restarts. Set it in redis.conf (or CONFIG SET appendonly yes).',
    );
  }
  if (appendfsync === 'everysec' && !allowEverysec) {
    throw new Error(
      `Redis at ${url} runs with appendfsync everysec: Redis may answer up to 2 s before writing what it acknowledged, ` +
        "so a crash of Redis can lose acked messages. Use 'appendfsync always' (or 'no', the single-node guarantee), " +
        'or start with --redis-allow-everysec to accept that risk.',
    );
  }
  if (appendfsync === 'no') {
    log.info({ url }, "Redis runs with appendfsync no: acked messages survive a crash of Redis, not of its machine (as single-node SQLite)");
  } else if (appendfsync === 'everysec') {
    log.warn({ url }, 'Redis runs with appendfsync everysec (allowed by option): a crash of Redis can lose up to 2 s of acked messages');
  }
  if (policy !== 'noeviction') {
    throw new Error(
      `Redis at ${url} has maxmemory-policy ${policy}: evicted keys would lose history and reuse seqs; ` +
        "cluster mode needs 'maxmemory-policy noeviction'.",
    );
  }
}
