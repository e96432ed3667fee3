/**
 * `chat-server import-history --data DIR --redis URL`: moves a single node's history (every room's
 * messages, with their ids, seqs, ts and action flags, and its topic) into the Redis a cluster will use,
 * then prints what it did. Safe to run again; refuses, writing nothing, when Redis holds other messages
 * at the same seqs. Run it with the single node stopped and before the cluster nodes start.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { checkSettings, connectAll, openConnection } from './engine/redis-connect.js';
import { ImportRefused, importHistory } from './engine/redis-import.js';

const HELP = `Usage: chat-server import-history [--data DIR] --redis URL [--batch N] [--redis-allow-everysec]

Copies the SQLite history in DIR (default ./data, or CHAT_DATA) into the Redis at URL (redis://host:port
or a unix socket path, or CHAT_REDIS) without changing ids or seqs. Run it with the single node stopped
and before any cluster node starts. Running it again imports only what is missing.

  --batch N                 messages per Redis script call (default 500, 1 to 10000)
  --redis-allow-everysec    accept a Redis with appendfsync everysec, as the nodes' flag of that name`;

/** Runs the command; resolves with the exit code (0 done, 1 refused or failed, 2 bad usage). */
export async function importHistoryCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        data: { type: 'string' },
        redis: { type: 'string' },
        batch: { type: 'string' },
        'redis-allow-everysec': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    return usage((err as Error).message);
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const data = values.data ?? env.CHAT_DATA ?? './data';
  const url = values.redis ?? env.CHAT_REDIS ?? '';
  if (!url) return usage('--redis is required (redis://host:port or a unix socket path)');
  const batch = Number(values.batch ?? 500);
  if (!Number.isInteger(batch) || batch < 1 || batch > 10_000) return usage(`--batch must be an integer from 1 to 10000, not '${values.batch}'`);
  const file = path.join(data, 'chat.db');
  if (!existsSync(file)) return fail(`no history database at '${file}'`);

  const started = performance.now();
  const log = pino({ level: 'warn', base: { name: 'import-history' } }, pino.destination(2));
  const db = new Database(file, { readonly: true, fileMustExist: true });
  // No retries: a Redis that goes away fails the import at once, and running it again carries on.
  const redis = openConnection(url, 'import-history', log, { retryStrategy: () => null, maxRetriesPerRequest: 0 });
  try {
    await connectAll([redis], url, 5000);
    await checkSettings(redis, url, values['redis-allow-everysec'], log);
    const rooms = await importHistory(db, redis, batch);
    console.log(`import-history: ${file} -> ${url}`);
    for (const r of rooms) {
      const span = r.imported > 0 ? ` (seq ${r.first}-${r.last})` : '';
      const topic = r.topic === 'set' ? ', topic set' : r.topic === 'kept' ? ', topic kept (Redis had one)' : '';
      console.log(`  ${r.key}: ${r.imported} imported${span}, ${r.present} already in Redis${topic}`);
    }
    const imported = rooms.reduce((n, r) => n + r.imported, 0);
    const present = rooms.reduce((n, r) => n + r.present, 0);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`imported ${imported} messages in ${rooms.filter((r) => r.imported > 0).length} of ${rooms.length} rooms; ${present} were already in Redis (${seconds} s)`);
    return 0;
  } catch (err) {
    return fail(err instanceof ImportRefused ? `refused: ${err.message}` : (err as Error).message);
  } finally {
    db.close();
    redis.disconnect();
  }
}

function usage(message: string): number {
  console.error(`chat-server import-history: ${message}\n\n${HELP}`);
  return 2;
}

function fail(message: string): number {
  console.error(`chat-server import-history: ${message}`);
  return 1;
}
