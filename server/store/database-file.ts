/**
 * The database file the server opened, and whether the path still leads to it. SQLite keeps writing
 * through its open descriptors after chat.db (or its -wal) is deleted or replaced, so every ack would go
 * into a file nobody will ever read again. We compare device and inode of the path with those we opened.
 */
import { renameSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';

export interface FileIdentity {
  path: string;
  dev: number;
  ino: number;
}

/** Why the store could not be opened; the message is complete and names the folder. */
export class StoreOpenError extends Error {}

/** What the sender of a message is told once the file is gone (INTERNAL). */
export const DATABASE_GONE = 'history database was deleted or replaced; messages cannot be stored';

/** The identities of those of `paths` that exist now. */
export function identify(paths: string[]): FileIdentity[] {
  const found: FileIdentity[] = [];
  for (const path of paths) {
    try {
      const s = statSync(path);
      found.push({ path, dev: s.dev, ino: s.ino });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return found;
}

/** Why the files are no longer the ones opened ("chat.db was deleted"), or null while they are. */
export function changeOf(file: FileIdentity, now: { dev: number; ino: number } | null): string | null {
  const name = file.path.slice(file.path.lastIndexOf('/') + 1);
  if (!now) return `${name} was deleted`;
  if (now.dev !== file.dev || now.ino !== file.ino) return `${name} was replaced`;
  return null;
}

/** Synchronous check, for the writer thread before each commit (one stat per file, off the event loop). */
export function checkSync(files: FileIdentity[]): string | null {
  for (const file of files) {
    let now: { dev: number; ino: number } | null = null;
    try {
      now = statSync(file.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const change = changeOf(file, now);
    if (change) return change;
  }
  return null;
}

/** chat.db first, then its -wal and -shm. */
export class DatabaseFile {
  /** Why messages cannot be stored in this file any more ("chat.db was deleted"), or null. */
  problem: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(readonly files: FileIdentity[]) {}

  /** Records that the file is gone; only the first report counts. Returns true if it was new. */
  markGone(detail: string): boolean {
    if (this.problem) return false;
    this.problem = detail;
    this.onGone(detail);
    return true;
  }

  /** Called once, when the file is first found gone. */
  onGone: (detail: string) => void = () => {};

  /** Checks every `intervalMs` (without keeping the process alive) until stopped or the file is gone. */
  watch(intervalMs: number): void {
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * After the database was deleted or replaced and every connection is closed: SQLite leaves the old
   * database's -wal and -shm behind, and would replay that log into whatever chat.db the next start
   * finds. Renames those still ours to `<name>.orphaned-<time>` and returns the new paths.
   */
  setAsideOrphans(): string[] {
    if (!this.problem) return [];
    const moved: string[] = [];
    for (const file of this.files.slice(1)) {
      let now: { dev: number; ino: number } | null = null;
      try {
        now = statSync(file.path);
      } catch {
        continue;
      }
      if (changeOf(file, now)) continue;
      const aside = `${file.path}.orphaned-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      try {
        renameSync(file.path, aside);
        moved.push(aside);
      } catch {
        // A folder we cannot write: the next start's write probe will say so.
      }
    }
    return moved;
  }

  /** One asynchronous check of every file. */
  async check(): Promise<void> {
    if (this.checking || this.problem) return;
    this.checking = true;
    try {
      for (const file of this.files) {
        const now = await stat(file.path).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return null;
          throw err;
        });
        const change = changeOf(file, now);
        if (change) {
          this.markGone(change);
          this.stop();
          return;
        }
      }
    } catch {
      // A failing stat (EACCES, EIO) says nothing about the file being replaced; commits will tell.
    } finally {
      this.checking = false;
    }
  }
}
