/**
 * Which history a data folder holds. A seq is unique only within one database: a fresh chat.db starts
 * every room at 1 again, and clients that remember seqs (gap fill) would take new messages for ones they
 * have seen. So each database gets a random id (in its meta table), and the folder keeps a copy in the
 * file `history-id`. A start that finds the database missing, or holding another id, refuses to hand out
 * seqs again: the operator restores the database, or deletes `history-id` to begin a new history.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StoreOpenError } from './database-file.js';

export const HISTORY_ID_FILE = 'history-id';

export function newHistoryId(): string {
  return randomUUID();
}

export interface HistoryIdCheck {
  /**
   * Given the id stored in the database (null if none), returns the folder's history id: assigns one to a
   * database without, writes the folder's copy if missing, and throws when the two disagree.
   */
  confirm(stored: string | null, store: (id: string) => void, make: () => string): string;
}

/** Reads the folder's history id; throws StoreOpenError at once if it exists but the database does not. */
export function checkHistoryId(dir: string, dbFile: string): HistoryIdCheck {
  const marker = path.join(dir, HISTORY_ID_FILE);
  let expected: string | null = null;
  try {
    expected = readFileSync(marker, 'utf8').trim() || null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new StoreOpenError(`cannot use data folder '${dir}': ${(err as Error).message}`);
    }
  }
  const refuse = (found: string) => new StoreOpenError(
    `history database '${dbFile}' ${found}, but this folder held history ${expected}: starting would hand out `
    + `seqs clients have already seen. Restore the database, or delete '${marker}' to start a new, empty history`,
  );
  if (expected && !existsSync(dbFile)) throw refuse('is missing');
  return {
    confirm(stored, store, make) {
      if (expected) {
        if (stored !== expected) throw refuse(stored ? `holds history ${stored}` : 'holds no history id');
        return expected;
      }
      const id = stored ?? make();
      if (!stored) store(id);
      try {
        writeFileSync(marker, `${id}\n`);
      } catch (err) {
        throw new StoreOpenError(`cannot write data folder '${dir}': ${(err as Error).message}`);
      }
      return id;
    },
  };
}
