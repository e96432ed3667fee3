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
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.js';
import { DATABASE_GONE, type DatabaseFile, type FileIdentity } from './database-file.js';
import type { StoredMessage } from './history-store.js';

type Row = [roomKey: string, seq: number, id: string, sender: string, text: string, ts: number, action: number];

/** Identifies a stored row exactly: a batch failed with its outcome unknown is deleted by these. */
export type RowKey = [roomKey: string, seq: number, id: string];

export interface WriterSetup { file: string; busyTimeoutMs: number; files: FileIdentity[]; undo: RowKey[] }
/** A room's topic, as set by `by` at `ts`. */
export type TopicRow = [roomKey: string, topic: string, by: string, ts: number];
export interface WriterRequest { id: number; rows: Row[]; topic?: TopicRow }
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
export type WriterState = 'starting' | 'up' | 'down' | 'stopped';

export interface WriterStatus {
  state: WriterState;
  /** Workers started after the first one. */
  restarts: number;
  /** When the current worker became ready (performance.now()), or null. */
  upSince: number | null;
  lastCommit: { ok: boolean; at: number; error?: string } | null;
  lastError: { message: string; at: number } | null;
}

interface Waiter {
  resolve: (seconds: number) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  keys: RowKey[];
}

export const DEFAULT_COMMIT_TIMEOUT_MS = 10_000;

export class HistoryWriter {
  private worker: Worker | null = null;
  private state: WriterState = 'down';
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();
  private readonly busyTimeoutMs: number;
  private readonly commitTimeoutMs: number;
  private readonly restartMinMs: number;
  private readonly restartMaxMs: number;
  private restartDelayMs: number;
  private restartTimer: NodeJS.Timeout | null = null;
  private restarts = 0;
  private upSince: number | null = null;
  private lastCommit: WriterStatus['lastCommit'] = null;
  private lastError: WriterStatus['lastError'] = null;
  private firstStart: { resolve: () => void; reject: (err: Error) => void } | null = null;
  /** Rows of batches failed while their commit may have gone through; the next worker deletes them. */
  private undo: RowKey[] = [];
  /** How many of `undo` the starting worker was given. */
  private undoing = 0;

  constructor(
    private readonly file: string,
    private readonly database: DatabaseFile,
    private readonly log: Logger,
    options: WriterOptions = {},
  ) {
    this.busyTimeoutMs = options.busyTimeoutMs ?? 100;
    this.commitTimeoutMs = options.commitTimeoutMs ?? DEFAULT_COMMIT_TIMEOUT_MS;
    this.restartMinMs = options.restartMinMs ?? 100;
    this.restartMaxMs = options.restartMaxMs ?? 5000;
    this.restartDelayMs = this.restartMinMs;
  }

  /** Starts the first worker; resolves once it has opened the database, or rejects with why it could not. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.firstStart = { resolve, reject };
      this.spawn();
    });
  }

  /** Commits `messages` in one transaction; resolves with the commit's duration in seconds. */
  append(messages: StoredMessage[]): Promise<number> {
    const rows = messages.map((m): Row => [m.roomKey, m.seq, m.id, m.from, m.text, m.ts, m.action ? 1 : 0]);
    return this.send(rows, rows.map((r): RowKey => [r[0], r[1], r[2]]));
  }

  /** `keys`: what to delete if the outcome turns out unknown (a topic is not taken back). */
  private send(rows: Row[], keys: RowKey[], topic?: TopicRow): Promise<number> {
    if (this.database.problem) return Promise.reject(new CommitError(DATABASE_GONE));
    const worker = this.worker;
    if (!worker) {
      return Promise.reject(new CommitError(this.state === 'stopped' ? 'the history writer is stopped' : 'the history writer is down and restarting'));
    }
    const id = this.nextId++;
    const request: WriterRequest = topic ? { id, rows, topic } : { id, rows };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.timedOut(worker), this.commitTimeoutMs);
      this.waiting.set(id, { resolve, reject, timer, keys });
      worker.postMessage(request);
    });
  }

  /**
   * Stores a room's topic, in order with the batches of messages: a topic set after a message is
   * committed after it. Settles, and fails, like a batch.
   */
  setTopic(roomKey: string, topic: string, by: string, ts: number): Promise<number> {
    return this.send([], [], [roomKey, topic, by, ts]);
  }

  status(): WriterStatus {
    return {
      state: this.state, restarts: this.restarts, upSince: this.upSince, lastCommit: this.lastCommit, lastError: this.lastError,
    };
  }

  /** Fault injection for tests: ends the worker thread as a crash would; the supervisor takes over. */
  async killWorker(): Promise<void> {
    await this.worker?.terminate();
  }

  /** Lets batches already sent finish (within the commit timeout), then closes the worker's connection. */
  async close(): Promise<void> {
    this.state = 'stopped';
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const worker = this.worker;
    if (worker) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => void worker.terminate(), this.commitTimeoutMs);
        worker.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        worker.postMessage('close');
      });
    }
    this.failAll(new CommitError('the history writer is stopped'), false);
    if (this.undo.length > 0) this.log.warn({ rows: this.undo.length }, 'stopping with failed messages that may still be in history');
  }

  private spawn(): void {
    this.undoing = this.undo.length;
    const setup: WriterSetup = { file: this.file, busyTimeoutMs: this.busyTimeoutMs, files: this.database.files, undo: this.undo.slice() };
    const worker = new Worker(new URL('./writer-worker.js', import.meta.url), { workerData: setup });
    this.worker = worker;
    this.state = 'starting';
    this.upSince = null;
    worker.on('message', (message: WriterMessage) => this.onMessage(worker, message));
    worker.on('error', (err) => this.onError(worker, err));
    worker.on('exit', (code) => this.onExit(worker, code));
  }

  private onMessage(worker: Worker, message: WriterMessage): void {
    if (worker !== this.worker) return;
    if ('ready' in message) {
      this.undo.splice(0, this.undoing);
      this.undoing = 0;
      this.state = 'up';
      this.upSince = performance.now();
      if (this.firstStart) this.firstStart.resolve();
      else this.log.warn({ restarts: this.restarts }, 'history writer restarted');
      this.firstStart = null;
      return;
    }
    const waiter = this.waiting.get(message.id);
    if (!waiter) return;
    this.waiting.delete(message.id);
    clearTimeout(waiter.timer);
    if (message.ok) {
      this.restartDelayMs = this.restartMinMs;
      this.lastCommit = { ok: true, at: performance.now() };
      waiter.resolve(message.seconds);
      return;
    }
    const error = message.error ?? 'unknown error';
    if (message.gone) this.database.markGone(error);
    this.recordFailure(error);
    waiter.reject(new CommitError(message.gone ? DATABASE_GONE : error));
  }

  private onError(worker: Worker, err: Error): void {
    if (worker !== this.worker) return;
    this.lastError = { message: err.message, at: performance.now() };
    if (this.firstStart) {
      this.firstStart.reject(err);
      this.firstStart = null;
      this.stopSupervising(worker);
      return;
    }
    this.log.error({ err }, 'history writer failed');
    this.failAll(new CommitError(`the history writer failed: ${err.message}`), true);
  }

  private onExit(worker: Worker, code: number): void {
    if (worker !== this.worker) return;
    this.worker = null;
    if (this.state === 'stopped') return;
    if (this.firstStart) {
      this.firstStart.reject(new Error(`the history writer exited with code ${code} while opening the database`));
      this.firstStart = null;
      this.state = 'stopped';
      return;
    }
    this.state = 'down';
    this.lastError = { message: `the history writer stopped (exit code ${code})`, at: performance.now() };
    this.failAll(new CommitError('the history writer stopped'), true);
    this.log.error({ code, restartInMs: this.restartDelayMs }, 'history writer stopped; restarting it');
    this.scheduleRestart();
  }

  /**
   * A batch outlived the commit timeout: its worker is presumed stuck (a hung disk, say). It is ended, and
   * replaced once it has really ended; until then appends fail at once.
   */
  private timedOut(worker: Worker): void {
    if (worker !== this.worker) return;
    const seconds = this.commitTimeoutMs / 1000;
    const err = new CommitError(`the history commit took longer than ${seconds} s`);
    this.lastError = { message: err.message, at: performance.now() };
    this.log.error({ timeoutSeconds: seconds, batches: this.waiting.size }, 'history commit timed out; replacing the writer');
    this.stopSupervising(worker);
    this.state = 'down';
    this.failAll(err, true);
    worker.once('exit', () => this.scheduleRestart());
  }

  /** Forgets `worker` (its later answers and exit are ignored) and ends it. */
  private stopSupervising(worker: Worker): void {
    this.worker = null;
    this.state = 'stopped';
    void worker.terminate();
  }

  private scheduleRestart(): void {
    if (this.database.problem || this.state === 'stopped') return;
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(delay * 2, this.restartMaxMs);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.state === 'stopped' || this.database.problem) return;
      this.restarts++;
      this.spawn();
    }, delay);
    this.restartTimer.unref();
  }

  private recordFailure(error: string): void {
    const at = performance.now();
    this.lastCommit = { ok: false, at, error };
    this.lastError = { message: error, at };
  }

  /**
   * Fails every batch sent and not yet answered (the caller records why in lastError). `uncertain`: the
   * worker may have committed them, so the next worker deletes their rows.
   */
  private failAll(err: CommitError, uncertain: boolean): void {
    if (this.waiting.size === 0) return;
    this.lastCommit = { ok: false, at: performance.now(), error: err.message };
    for (const waiter of this.waiting.values()) {
      clearTimeout(waiter.timer);
      if (uncertain) this.undo.push(...waiter.keys);
      waiter.reject(err);
    }
    this.waiting.clear();
  }
}
