/**
 * Versions of the database's schema (SQLite's user_version), and the steps from each to the next. Each
 * step runs in one transaction with the version it leads to, so a start that dies midway leaves the
 * file as it was. Run on the main thread when the store opens, before any client is served.
 */
import type Database from 'better-sqlite3';
import { StoreOpenError } from './database-file.js';
import { SEARCH_BACKFILL, SEARCH_SCHEMA } from './search-index.js';

interface Migration {
  version: number;
  /** What the step adds, for the log. */
  what: string;
  up(db: Database.Database): void;
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    what: 'full-text search index of messages',
    up: (db) => {
      db.exec(SEARCH_SCHEMA);
      db.exec(SEARCH_BACKFILL);
    },
  },
  {
    version: 2,
    what: "the sender's account on each message",
    // Older messages keep NULL: their senders' accounts were not recorded. SQLite adds a column without
    // rewriting the table.
    up: (db) => db.exec('ALTER TABLE messages ADD COLUMN account TEXT'),
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export interface AppliedMigration {
  version: number;
  what: string;
  ms: number;
}

/** Brings the schema to SCHEMA_VERSION; refuses a database of a newer server, whose schema it does not know. */
export function migrate(db: Database.Database, file: string): AppliedMigration[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new StoreOpenError(`history database '${file}' has schema version ${current}, newer than this server's (${SCHEMA_VERSION}): run the newer server`);
  }
  const applied: AppliedMigration[] = [];
  for (const step of MIGRATIONS) {
    if (step.version <= current) continue;
    const started = performance.now();
    db.transaction(() => {
      step.up(db);
      db.pragma(`user_version = ${step.version}`);
    })();
    applied.push({ version: step.version, what: step.what, ms: Math.round(performance.now() - started) });
  }
  return applied;
}
