/**
 * Durable room history in SQLite (WAL). Knows SQLite and nothing of the hub: it creates the schema and
 * holds the file open. Messages, topics and registry records (accounts) are written by HistoryWriter,
 * and messages read by HistoryReader, each on its own thread and connection.
 *
 * Opening refuses a folder it cannot write (a real write, not just an open: SQLite opens a database
 * it may not write read-only without a word) and a database that is not the one the folder held
 * (see history-id.ts).
 */
import Database from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ChatMessage } from '../../shared/protocol.js';
import { DatabaseFile, identify, StoreOpenError } from './database-file.js';
import { checkHistoryId, newHistoryId } from './history-id.js';
import { migrate, type AppliedMigration } from './migrations.js';

/** What the write-ahead log held when the database was opened. */
export interface WalState {
  /** Size of chat.db-wal before opening (0 when there was none). */
  bytes: number;
  /** Valid frames in it, and how many of them the opening checkpoint copied into chat.db. */
  frames: number;
  checkpointed: number;
}

export interface StoredMessage extends ChatMessage {
  /** The room's case-folded key; `room` keeps the display name. */
  roomKey: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  room_key TEXT NOT NULL,
  seq INTEGER NOT NULL,
  id TEXT NOT NULL,
  sender TEXT NOT NULL,
  text TEXT NOT NULL,
  ts INTEGER NOT NULL,
  action INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (room_key, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rooms (
  room_key TEXT PRIMARY KEY,
  topic TEXT NOT NULL DEFAULT '',
  topic_by TEXT,
  topic_ts INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS registry (
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (kind, key)
) WITHOUT ROWID;
`;

/** SQLite errors that mean the folder or disk cannot take writes (as opposed to a damaged database). */
const WRITE_ERRORS = /^SQLITE_(READONLY|CANTOPEN|FULL|IOERR|PERM|AUTH)/;

export class HistoryStore {
  private readonly db!: Database.Database;

  readonly file: string;
  /** The files opened, to notice when they are deleted or replaced. */
  readonly database: DatabaseFile;
  readonly wal: WalState;
  readonly historyId: string;
  /** The schema steps this open applied (an older server's database), for the log. */
  readonly migrated: AppliedMigration[];

  /** Opens (creating if needed) `dir/chat.db`; throws a StoreOpenError whose message says what is wrong. */
  constructor(dir: string, options: { busyTimeoutMs?: number } = {}) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new StoreOpenError(`cannot use data folder '${dir}': ${(err as Error).message}`);
    }
    this.file = path.join(dir, 'chat.db');
    const history = checkHistoryId(dir, this.file);
    const walBytes = sizeOf(`${this.file}-wal`);
    try {
      this.db = new Database(this.file, { timeout: options.busyTimeoutMs ?? 100 });
      this.db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode survives a process crash (SIGKILL); only an OS crash can lose the last commits.
      this.db.pragma('synchronous = NORMAL');
      const [checkpoint] = this.db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number; checkpointed: number }>;
      this.wal = { bytes: walBytes, frames: Math.max(0, checkpoint?.log ?? 0), checkpointed: Math.max(0, checkpoint?.checkpointed ?? 0) };
      this.db.exec(SCHEMA);
      this.migrated = migrate(this.db, this.file);
      // The write probe: a real commit, so that a read-only folder or file stops the start.
      this.setMeta('opened_at', new Date().toISOString());
      this.historyId = history.confirm(this.getMeta('history_id'), (id) => this.setMeta('history_id', id), newHistoryId);
    } catch (err) {
      if (this.db?.open) this.db.close();
      if (err instanceof StoreOpenError) throw err;
      const code = (err as { code?: unknown }).code;
      const verb = typeof code === 'string' && WRITE_ERRORS.test(code) ? 'write' : 'use';
      throw new StoreOpenError(`cannot ${verb} data folder '${dir}': ${(err as Error).message}`);
    }
    this.database = new DatabaseFile(identify([this.file, `${this.file}-wal`, `${this.file}-shm`]));
  }

  /**
   * Every registry record of `kind` (accounts, say), as key → JSON. Read once at start-up, before any
   * client is served; from then on the engine keeps them in memory and writes through the writer thread.
   */
  registry(kind: string): Map<string, string> {
    const rows = this.db.prepare('SELECT key, value FROM registry WHERE kind = ?').all(kind) as Array<{ key: string; value: string }>;
    return new Map(rows.map((r) => [r.key, r.value]));
  }

  private getMeta(key: string): string | null {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value ?? null;
  }

  private setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
