/** Opens the single-node engine: the SQLite history in the data folder, its writer and reader threads. */
import type { Logger } from '../log.js';
import { StoreOpenError } from '../store/database-file.js';
import { HistoryReader } from '../store/history-reader.js';
import { HistoryStore } from '../store/history-store.js';
import { HistoryWriter } from '../store/history-writer.js';
import { ACCOUNT_KIND, LocalAccounts } from './local-accounts.js';
import { BAN_KIND, LocalEngine, POLICY_KIND } from './local-engine.js';
import type { OpenedEngine } from './opened.js';

/** How often the database file is checked for having been deleted or replaced. */
const DATABASE_CHECK_MS = 1000;

export interface LocalOptions {
  data: string;
  commitTimeoutMs: number;
  /** The history writer's first restart delay (tests only). */
  writerRestartMinMs?: number;
  /** The history reader's first restart delay (tests only). */
  readerRestartMinMs?: number;
}

/** Throws an Error whose message says what is wrong with the data folder. */
export async function openLocalEngine(options: LocalOptions, log: Logger): Promise<OpenedEngine> {
  let store: HistoryStore;
  try {
    store = new HistoryStore(options.data);
  } catch (err) {
    throw new Error(err instanceof StoreOpenError ? err.message : `cannot use data folder '${options.data}': ${(err as Error).message}`);
  }
  const { wal } = store;
  log.info({ file: store.file, historyId: store.historyId, walBytes: wal.bytes, walFrames: wal.frames, walCheckpointed: wal.checkpointed }, 'history database opened');
  for (const step of store.migrated) log.info({ file: store.file, schemaVersion: step.version, ms: step.ms }, `history database upgraded: ${step.what}`);
  // SQLite drops a damaged write-ahead log without a word; all we can do is say that it held something.
  if (wal.bytes > 0 && wal.frames === 0) {
    log.warn({ file: `${store.file}-wal`, walBytes: wal.bytes }, 'the write-ahead log held bytes but no valid commit; whatever it held was discarded');
  }
  const database = store.database;
  database.onGone = (detail) => log.error({ file: store.file, detail }, 'history database was deleted or replaced; refusing messages until restarted');
  const writer = new HistoryWriter(store.file, database, log, {
    commitTimeoutMs: options.commitTimeoutMs, restartMinMs: options.writerRestartMinMs,
  });
  // A read that hangs as long as a commit may is as stuck as the disk under it.
  const reader = new HistoryReader(store.file, log, { timeoutMs: options.commitTimeoutMs, restartMinMs: options.readerRestartMinMs });
  try {
    await writer.start();
    await reader.start();
  } catch (err) {
    await writer.close();
    store.close();
    throw new Error(`cannot use data folder '${options.data}': ${(err as Error).message}`);
  }
  database.watch(DATABASE_CHECK_MS);
  return {
    engine: new LocalEngine(writer, reader, database, new LocalAccounts(writer, store.registry(ACCOUNT_KIND)),
      store.registry(BAN_KIND), store.registry(POLICY_KIND)),
    killHistoryWriter: () => writer.killWorker(),
    killHistoryReader: () => reader.killWorker(),
    hangHistoryReader: (ms) => reader.hangWorker(ms),
    async close() {
      database.stop();
      await reader.close();
      await writer.close();
      store.close();
      const orphans = database.setAsideOrphans();
      if (orphans.length > 0) log.warn({ orphans }, 'set aside the deleted or replaced database\'s write-ahead log');
    },
  };
}
