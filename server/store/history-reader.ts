/**
 * Reads room history on a supervised worker thread (see reader-worker.ts), so that room loads and deep
 * history pages leave the event loop. Requests are answered in the order they are sent. Every request
 * settles: when the worker dies, or a read outlives the read timeout (a hung disk), the requests it held
 * fail at once with a ReadError that says why, and so does every later one until a new worker is up. A
 * dead or stuck worker is replaced after a backoff that doubles from restartMinMs to restartMaxMs; a
 * stuck one only once it has really ended, so that a disk that hangs does not pile up threads.
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.js';
import type { StoredPage, StoredRoom } from './history-reads.js';

export interface ReaderSetup { file: string; busyTimeoutMs: number }
export type ReadRequest =
  | { id: number; op: 'room'; roomKey: string; name: string; upTo: number | null }
  | { id: number; op: 'lastSeq'; roomKey: string }
  | { id: number; op: 'page'; roomKey: string; name: string; before: number; limit: number };
/** `hangMs`: fault injection for tests, a read that blocks the thread. */
export type ReaderControl = 'close' | { hangMs: number };
export type ReaderMessage =
  | { ready: true }
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string };

/** A read that could not be done; the message is fit to show the requester. */
export class ReadError extends Error {}

export interface ReaderOptions {
  /** A read not answered within this fails, and its worker is presumed stuck and replaced. */
  timeoutMs: number;
  busyTimeoutMs?: number;
  restartMinMs?: number;
  restartMaxMs?: number;
}

/** `starting`: a worker is opening the database (requests wait for it); `down`: none, requests fail. */
export type ReaderState = 'starting' | 'up' | 'down' | 'stopped';

export interface ReaderStatus {
  state: ReaderState;
  /** Workers started after the first one. */
  restarts: number;
  lastError: { message: string; at: number } | null;
}

interface Waiter {
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** A request as callers make it: the id is given when it is sent. */
type Request = ReadRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

export class HistoryReader {
  private worker: Worker | null = null;
  private state: ReaderState = 'down';
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();
  private readonly busyTimeoutMs: number;
  private readonly restartMinMs: number;
  private readonly restartMaxMs: number;
  private restartDelayMs: number;
  private restartTimer: NodeJS.Timeout | null = null;
  private restarts = 0;
  private lastError: ReaderStatus['lastError'] = null;
  private firstStart: { resolve: () => void; reject: (err: Error) => void } | null = null;
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly log: Logger,
    private readonly options: ReaderOptions,
  ) {
    this.busyTimeoutMs = options.busyTimeoutMs ?? 1000;
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

  /** The room's topic and newest page up to `upTo` (its last seq when null), from one read transaction. */
  room(roomKey: string, name: string, upTo: number | null): Promise<StoredRoom> {
    return this.request({ op: 'room', roomKey, name, upTo }) as Promise<StoredRoom>;
  }

  lastSeq(roomKey: string): Promise<number> {
    return this.request({ op: 'lastSeq', roomKey }) as Promise<number>;
  }

  page(roomKey: string, name: string, before: number, limit: number): Promise<StoredPage> {
    return this.request({ op: 'page', roomKey, name, before, limit }) as Promise<StoredPage>;
  }

  status(): ReaderStatus {
    return { state: this.state, restarts: this.restarts, lastError: this.lastError };
  }

  /** Fault injection for tests: ends the worker thread as a crash would; the supervisor takes over. */
  async killWorker(): Promise<void> {
    await this.worker?.terminate();
  }

  /** Fault injection for tests: the worker's next read blocks its thread for `ms`. */
  hangWorker(ms: number): void {
    this.worker?.postMessage({ hangMs: ms } satisfies ReaderControl);
  }

  /** Fails what is waiting and closes the worker's connection. */
  async close(): Promise<void> {
    this.closed = true;
    this.state = 'stopped';
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.failAll(new ReadError('the history reader is stopped'));
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      // A worker stuck in a read cannot take `close`: it is ended instead.
      const timer = setTimeout(() => void worker.terminate(), this.options.timeoutMs);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      worker.postMessage('close' satisfies ReaderControl);
    });
  }

  private request(request: Request): Promise<unknown> {
    const worker = this.worker;
    if (!worker) {
      return Promise.reject(new ReadError(this.state === 'stopped' ? 'the history reader is stopped' : 'the history reader is down and restarting'));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.timedOut(worker), this.options.timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      worker.postMessage({ ...request, id } as ReadRequest);
    });
  }

  private spawn(): void {
    const setup: ReaderSetup = { file: this.file, busyTimeoutMs: this.busyTimeoutMs };
    const worker = new Worker(new URL('./reader-worker.js', import.meta.url), { workerData: setup });
    this.worker = worker;
    this.state = 'starting';
    worker.on('message', (message: ReaderMessage) => this.onMessage(worker, message));
    worker.on('error', (err) => this.onError(worker, err));
    worker.on('exit', (code) => this.onExit(worker, code));
  }

  private onMessage(worker: Worker, message: ReaderMessage): void {
    if (worker !== this.worker) return;
    if ('ready' in message) {
      this.state = 'up';
      if (this.firstStart) this.firstStart.resolve();
      else this.log.warn({ restarts: this.restarts }, 'history reader restarted');
      this.firstStart = null;
      return;
    }
    const waiter = this.waiting.get(message.id);
    if (!waiter) return;
    this.waiting.delete(message.id);
    clearTimeout(waiter.timer);
    if (message.ok) {
      this.restartDelayMs = this.restartMinMs;
      waiter.resolve(message.result);
      return;
    }
    this.lastError = { message: message.error, at: performance.now() };
    waiter.reject(new ReadError(`history could not be read: ${message.error}`));
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
    this.log.error({ err }, 'history reader failed');
    this.failAll(new ReadError(`the history reader failed: ${err.message}`));
  }

  private onExit(worker: Worker, code: number): void {
    if (worker !== this.worker) return;
    this.worker = null;
    if (this.closed) return;
    if (this.firstStart) {
      this.firstStart.reject(new Error(`the history reader exited with code ${code} while opening the database`));
      this.firstStart = null;
      this.state = 'stopped';
      return;
    }
    this.state = 'down';
    this.lastError = { message: `the history reader stopped (exit code ${code})`, at: performance.now() };
    this.failAll(new ReadError('the history reader stopped; try again'));
    this.log.error({ code, restartInMs: this.restartDelayMs }, 'history reader stopped; restarting it');
    this.scheduleRestart();
  }

  /** A read outlived the timeout: its worker is presumed stuck, ended, and replaced once it has ended. */
  private timedOut(worker: Worker): void {
    if (worker !== this.worker) return;
    const seconds = this.options.timeoutMs / 1000;
    const err = new ReadError(`reading history took longer than ${seconds} s`);
    this.lastError = { message: err.message, at: performance.now() };
    this.log.error({ timeoutSeconds: seconds, reads: this.waiting.size }, 'history read timed out; replacing the reader');
    this.stopSupervising(worker);
    this.state = 'down';
    this.failAll(err);
    worker.once('exit', () => this.scheduleRestart());
  }

  /** Forgets `worker` (its later answers and exit are ignored) and ends it. */
  private stopSupervising(worker: Worker): void {
    this.worker = null;
    void worker.terminate();
  }

  private scheduleRestart(): void {
    if (this.closed) return;
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(delay * 2, this.restartMaxMs);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.closed) return;
      this.restarts++;
      this.spawn();
    }, delay);
    this.restartTimer.unref();
  }

  private failAll(err: ReadError): void {
    for (const waiter of this.waiting.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(err);
    }
    this.waiting.clear();
  }
}
