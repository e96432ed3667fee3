/**
 * A worker thread that answers requests, supervised. Every request settles: when the worker dies, or a
 * request outlives the timeout (a hung disk), the requests it held fail at once, and so does every later
 * one until a new worker is up. A dead or stuck worker is replaced after a backoff that doubles from
 * restartMinMs to restartMaxMs; a stuck one only once it has really ended, so that a disk that hangs
 * does not pile up threads. The history writer and reader are built on it.
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.js';

/** `starting`: a worker is opening the database (requests wait for it); `down`: none, requests fail. */
export type WorkerState = 'starting' | 'up' | 'down' | 'stopped';

/** What every worker posts: ready once, then one answer per request. */
export type WorkerMessage = { ready: true } | { id: number; ok: boolean; error?: string };

export interface Waiter<Extra> {
  resolve: (result: never) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  /** What the owner keeps with a request (rows to delete if its outcome is unknown, say). */
  extra: Extra;
}

export interface SupervisorOptions {
  /** As logs and errors name it: 'history writer'. */
  name: string;
  script: URL;
  /** A request not answered within this fails, and its worker is presumed stuck and replaced. */
  timeoutMs: number;
  restartMinMs: number;
  restartMaxMs: number;
  /** The error every waiting request gets when the worker ended. */
  stoppedMessage: string;
  /** The error, and the log line, for a request that timed out. */
  timeoutMessage: (seconds: number) => string;
  timeoutLog: string;
  /** The error type requests fail with; its message is fit for the requester. */
  failure: new (message: string) => Error;
}

export abstract class SupervisedWorker<Message extends WorkerMessage, Extra = undefined> {
  protected worker: Worker | null = null;
  protected state: WorkerState = 'down';
  protected readonly waiting = new Map<number, Waiter<Extra>>();
  /** Workers started after the first one. */
  protected restarts = 0;
  /** When the current worker became ready (performance.now()), or null. */
  protected upSince: number | null = null;
  protected lastError: { message: string; at: number } | null = null;
  private nextId = 1;
  private restartDelayMs: number;
  private restartTimer: NodeJS.Timeout | null = null;
  private firstStart: { resolve: () => void; reject: (err: Error) => void } | null = null;

  constructor(
    protected readonly log: Logger,
    private readonly supervisor: SupervisorOptions,
  ) {
    this.restartDelayMs = supervisor.restartMinMs;
  }

  /** The workerData of a new worker. */
  protected abstract setup(): unknown;
  /** An answer to the request `waiter` waits for. */
  protected abstract answered(waiter: Waiter<Extra>, message: Exclude<Message, { ready: true }>): void;
  /** The new worker is ready (before first start resolves). */
  protected onReady(): void {}
  /** Requests about to fail with `err`; `uncertain`: the worker may have carried them out. */
  protected onFailing(_waiters: Waiter<Extra>[], _err: Error, _uncertain: boolean): void {}
  /** Whether a dead worker may be replaced now. */
  protected canRestart(): boolean {
    return true;
  }

  /** Starts the first worker; resolves once it has opened the database, or rejects with why it could not. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.firstStart = { resolve, reject };
      this.spawn();
    });
  }

  /** Fault injection for tests: ends the worker thread as a crash would; the supervisor takes over. */
  async killWorker(): Promise<void> {
    await this.worker?.terminate();
  }

  /** Sends a request; it settles with the answer, or fails with `failure` when the worker cannot answer. */
  protected request<T>(message: object, extra: Extra): Promise<T> {
    const worker = this.worker;
    const { name, failure } = this.supervisor;
    if (!worker) return Promise.reject(new failure(this.state === 'stopped' ? `the ${name} is stopped` : `the ${name} is down and restarting`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => this.timedOut(worker), this.supervisor.timeoutMs);
      this.waiting.set(id, { resolve: resolve as (result: never) => void, reject, timer, extra });
      worker.postMessage({ ...message, id });
    });
  }

  /** No more restarts; the worker, if any, is left to `endWorker`. */
  protected stopRestarting(): void {
    this.state = 'stopped';
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }

  /** Asks the worker to close its connection and waits for it to end (ended by force after the timeout). */
  protected async endWorker(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      // A worker stuck in a request cannot take `close`: it is ended instead.
      const timer = setTimeout(() => void worker.terminate(), this.supervisor.timeoutMs);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      worker.postMessage('close');
    });
  }

  /** Fails every request sent and not yet answered. */
  protected failAll(err: Error, uncertain: boolean): void {
    if (this.waiting.size === 0) return;
    const waiters = [...this.waiting.values()];
    this.waiting.clear();
    this.onFailing(waiters, err, uncertain);
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(err);
    }
  }

  private spawn(): void {
    const worker = new Worker(this.supervisor.script, { workerData: this.setup() });
    this.worker = worker;
    this.state = 'starting';
    this.upSince = null;
    worker.on('message', (message: Message) => this.onMessage(worker, message));
    worker.on('error', (err) => this.onError(worker, err));
    worker.on('exit', (code) => this.onExit(worker, code));
  }

  private onMessage(worker: Worker, message: Message): void {
    if (worker !== this.worker) return;
    if ('ready' in message) {
      this.onReady();
      this.state = 'up';
      this.upSince = performance.now();
      if (this.firstStart) this.firstStart.resolve();
      else this.log.warn({ restarts: this.restarts }, `${this.supervisor.name} restarted`);
      this.firstStart = null;
      return;
    }
    const answer = message as Exclude<Message, { ready: true }>;
    const waiter = this.waiting.get(answer.id);
    if (!waiter) return;
    this.waiting.delete(answer.id);
    clearTimeout(waiter.timer);
    if (answer.ok) this.restartDelayMs = this.supervisor.restartMinMs;
    this.answered(waiter, answer);
  }

  private onError(worker: Worker, err: Error): void {
    if (worker !== this.worker) return;
    this.lastError = { message: err.message, at: performance.now() };
    if (this.firstStart) {
      this.firstStart.reject(err);
      this.firstStart = null;
      this.stopSupervising(worker);
      this.state = 'stopped';
      return;
    }
    this.log.error({ err }, `${this.supervisor.name} failed`);
    this.failAll(new this.supervisor.failure(`the ${this.supervisor.name} failed: ${err.message}`), true);
  }

  private onExit(worker: Worker, code: number): void {
    if (worker !== this.worker) return;
    this.worker = null;
    if (this.state === 'stopped') return;
    const { name } = this.supervisor;
    if (this.firstStart) {
      this.firstStart.reject(new Error(`the ${name} exited with code ${code} while opening the database`));
      this.firstStart = null;
      this.state = 'stopped';
      return;
    }
    this.state = 'down';
    this.lastError = { message: `the ${name} stopped (exit code ${code})`, at: performance.now() };
    this.failAll(new this.supervisor.failure(this.supervisor.stoppedMessage), true);
    this.log.error({ code, restartInMs: this.restartDelayMs }, `${name} stopped; restarting it`);
    this.scheduleRestart();
  }

  /** A request outlived the timeout: its worker is presumed stuck, ended, and replaced once it has ended. */
  private timedOut(worker: Worker): void {
    if (worker !== this.worker) return;
    const seconds = this.supervisor.timeoutMs / 1000;
    const err = new this.supervisor.failure(this.supervisor.timeoutMessage(seconds));
    this.lastError = { message: err.message, at: performance.now() };
    this.log.error({ timeoutSeconds: seconds, pending: this.waiting.size }, this.supervisor.timeoutLog);
    this.stopSupervising(worker);
    this.state = 'down';
    this.failAll(err, true);
    worker.once('exit', () => this.scheduleRestart());
  }

  /** Forgets `worker` (its later answers and exit are ignored) and ends it. */
  private stopSupervising(worker: Worker): void {
    this.worker = null;
    void worker.terminate();
  }

  private scheduleRestart(): void {
    if (this.state === 'stopped' || !this.canRestart()) return;
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(delay * 2, this.supervisor.restartMaxMs);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.state === 'stopped' || !this.canRestart()) return;
      this.restarts++;
      this.spawn();
    }, delay);
    this.restartTimer.unref();
  }
}
