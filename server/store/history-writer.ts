/**
 * Appends messages to history from a supervised worker thread. Batches are committed in the order they
 * are given; each resolves once its transaction is durable, or rejects with a CommitError that says why.
 * Every batch settles: when the worker dies, hangs past the commit timeout or finds the database file
 * gone, the batches it held fail at once, and so does every later one until a new worker is up. A dead
 * or stuck worker is replaced after a backoff that doubles from restartMinMs to restartMaxMs; a stuck one
 * only once it has really ended, since until then it may still commit.
 *
 * A failed batch must not turn up in history (its sender was told it was not sent), but a worker that
 * died or was ended in the middle of COMMIT may have stored it. So the rows of batches failed that way are
 * deleted by the next worker before it takes any new batch.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log.js';
import { DATABASE_GONE, type DatabaseFile, type FileIdentity } from './database-file.js';
import type { StoredMessage } from './history-store.js';
import { SupervisedWorker, type Waiter, type WorkerState } from './supervised-worker.js';

type Row = [roomKey: string, seq: number, id: string, sender: string, text: string, ts: number, action: number, account: string | null];

/** Identifies a stored row exactly: a batch failed with its outcome unknown is deleted by these. */
export type RowKey = [roomKey: string, seq: number, id: string];

export interface WriterSetup { file: string; busyTimeoutMs: number; files: FileIdentity[]; undo: RowKey[] }
/** A room's topic, as set by `by` at `ts`. */
export type TopicRow = [roomKey: string, topic: string, by: string, ts: number];
/** A registry record (an account, say) to store, or to delete when `value` is null. */
export type StateRow = [kind: string, key: string, value: string | null];
export interface WriterRequest { id: number; rows: Row[]; topic?: TopicRow; state?: StateRow[] }
export type WriterMessage =
  | { ready: true }
  | { id: number; ok: boolean; error?: string; gone?: boolean; seconds: number };

/** A batch that was not stored; the message is fit to show the sender. */
export class CommitError extends Error {}

export interface WriterOptions {
  /** How long SQLite waits for another connection's write lock before failing the batch. */
  busyTimeoutMs?: number;
  /** A batch not answered within this is failed, and its worker presumed stuck and replaced. */
  commitTimeoutMs?: number;
  restartMinMs?: number;
  restartMaxMs?: number;
}

/** `starting`: a worker is opening the database (batches wait for it); `down`: none, appends fail. */
export type WriterState = WorkerState;

export interface WriterStatus {
  state: WriterState;
  /** Workers started after the first one. */
  restarts: number;
  /** When the current worker became ready (performance.now()), or null. */
  upSince: number | null;
  lastCommit: { ok: boolean; at: number; error?: string } | null;
  lastError: { message: string; at: number } | null;
}

export const DEFAULT_COMMIT_TIMEOUT_MS = 10_000;

type Answer = Exclude<WriterMessage, { ready: true }>;

export class HistoryWriter extends SupervisedWorker<WriterMessage, RowKey[]> {
  private readonly busyTimeoutMs: number;
  private readonly commitTimeoutMs: number;
  private lastCommit: WriterStatus['lastCommit'] = null;
  /** Rows of batches failed while their commit may have gone through; the next worker deletes them. */
  private undo: RowKey[] = [];
  /** How many of `undo` the starting worker was given. */
  private undoing = 0;

  constructor(
    private readonly file: string,
    private readonly database: DatabaseFile,
    log: Logger,
    options: WriterOptions = {},
  ) {
    const commitTimeoutMs = options.commitTimeoutMs ?? DEFAULT_COMMIT_TIMEOUT_MS;
    super(log, {
      name: 'history writer',
      script: new URL('./writer-worker.js', import.meta.url),
      timeoutMs: commitTimeoutMs,
      restartMinMs: options.restartMinMs ?? 100,
      restartMaxMs: options.restartMaxMs ?? 5000,
      stoppedMessage: 'the history writer stopped',
      timeoutMessage: (seconds) => `the history commit took longer than ${seconds} s`,
      timeoutLog: 'history commit timed out; replacing the writer',
      failure: CommitError,
    });
    this.busyTimeoutMs = options.busyTimeoutMs ?? 100;
    this.commitTimeoutMs = commitTimeoutMs;
  }

  /** Commits `messages` in one transaction; resolves with the commit's duration in seconds. */
  append(messages: StoredMessage[]): Promise<number> {
    const rows = messages.map((m): Row => [m.roomKey, m.seq, m.id, m.from, m.text, m.ts, m.action ? 1 : 0, m.account ?? null]);
    return this.send(rows, rows.map((r): RowKey => [r[0], r[1], r[2]]));
  }

  /**
   * Stores a room's topic, in order with the batches of messages: a topic set after a message is
   * committed after it. Settles, and fails, like a batch.
   */
  setTopic(roomKey: string, topic: string, by: string, ts: number): Promise<number> {
    return this.send([], [], [roomKey, topic, by, ts]);
  }

  /**
   * Stores (or deletes) registry records in one transaction, in order with the batches around it.
   * Settles, and fails, like a batch; a record is not taken back when the outcome is unknown.
   */
  saveState(state: StateRow[]): Promise<number> {
    if (this.database.problem) return Promise.reject(new CommitError(DATABASE_GONE));
    return this.request<number>({ rows: [], state }, []);
  }

  /** `keys`: what to delete if the outcome turns out unknown (a topic is not taken back). */
  private send(rows: Row[], keys: RowKey[], topic?: TopicRow): Promise<number> {
    if (this.database.problem) return Promise.reject(new CommitError(DATABASE_GONE));
    return this.request<number>(topic ? { rows, topic } : { rows }, keys);
  }

  status(): WriterStatus {
    return {
      state: this.state, restarts: this.restarts, upSince: this.upSince, lastCommit: this.lastCommit, lastError: this.lastError,
    };
  }

  /** Lets batches already sent finish (within the commit timeout), then closes the worker's connection. */
  async close(): Promise<void> {
    this.stopRestarting();
    await this.endWorker();
    this.failAll(new CommitError('the history writer is stopped'), false);
    if (this.undo.length > 0) this.log.warn({ rows: this.undo.length }, 'stopping with failed messages that may still be in history');
  }

  protected setup(): WriterSetup {
    this.undoing = this.undo.length;
    return { file: this.file, busyTimeoutMs: this.busyTimeoutMs, files: this.database.files, undo: this.undo.slice() };
  }

  protected override onReady(): void {
    this.undo.splice(0, this.undoing);
    this.undoing = 0;
  }

  protected answered(waiter: Waiter<RowKey[]>, message: Answer): void {
    if (message.ok) {
      this.lastCommit = { ok: true, at: performance.now() };
      return waiter.resolve(message.seconds as never);
    }
    const error = message.error ?? 'unknown error';
    if (message.gone) this.database.markGone(error);
    const at = performance.now();
    this.lastCommit = { ok: false, at, error };
    this.lastError = { message: error, at };
    waiter.reject(new CommitError(message.gone ? DATABASE_GONE : error));
  }

  /** Uncertain: the worker may have committed them, so the next worker deletes their rows. */
  protected override onFailing(waiters: Waiter<RowKey[]>[], err: Error, uncertain: boolean): void {
    this.lastCommit = { ok: false, at: performance.now(), error: err.message };
    if (uncertain) for (const waiter of waiters) this.undo.push(...waiter.extra);
  }

  protected override canRestart(): boolean {
    return !this.database.problem;
  }
}
