/**
 * Reads room history on a supervised worker thread (see reader-worker.ts), so that room loads and deep
 * history pages leave the event loop. Requests are answered in the order they are sent. Every request
 * settles: when the worker dies, or a read outlives the read timeout (a hung disk), the requests it held
 * fail at once with a ReadError that says why, and so does every later one until a new worker is up. A
 * dead or stuck worker is replaced after a backoff that doubles from restartMinMs to restartMaxMs; a
 * stuck one only once it has really ended, so that a disk that hangs does not pile up threads.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log.js';
import type { Anchor, StoredPage, StoredRoom } from './history-reads.js';
import { SupervisedWorker, type Waiter, type WorkerState } from './supervised-worker.js';

export interface ReaderSetup { file: string; busyTimeoutMs: number }
export type ReadRequest =
  | { id: number; op: 'room'; roomKey: string; name: string; upTo: number | null }
  | { id: number; op: 'lastSeq'; roomKey: string }
  | { id: number; op: 'page'; roomKey: string; name: string; before: number; limit: number }
  | { id: number; op: 'pageAfter'; roomKey: string; name: string; after: number; before: number; limit: number }
  | { id: number; op: 'locate'; roomKey: string; anchor: Anchor }
  | { id: number; op: 'search'; roomKey: string; name: string; words: string[]; before: number; limit: number }
  | { id: number; op: 'records'; kind: string; prefix: string };
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
export type ReaderState = WorkerState;

export interface ReaderStatus {
  state: ReaderState;
  /** Workers started after the first one. */
  restarts: number;
  lastError: { message: string; at: number } | null;
}

/** A request as callers make it: the id is given when it is sent. */
type Request = ReadRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

export class HistoryReader extends SupervisedWorker<ReaderMessage> {
  private readonly busyTimeoutMs: number;

  constructor(
    private readonly file: string,
    log: Logger,
    options: ReaderOptions,
  ) {
    super(log, {
      name: 'history reader',
      script: new URL('./reader-worker.js', import.meta.url),
      timeoutMs: options.timeoutMs,
      restartMinMs: options.restartMinMs ?? 100,
      restartMaxMs: options.restartMaxMs ?? 5000,
      stoppedMessage: 'the history reader stopped; try again',
      timeoutMessage: (seconds) => `reading history took longer than ${seconds} s`,
      timeoutLog: 'history read timed out; replacing the reader',
      failure: ReadError,
    });
    this.busyTimeoutMs = options.busyTimeoutMs ?? 1000;
  }

  /** The room's topic and newest page up to `upTo` (its last seq when null), from one read transaction. */
  room(roomKey: string, name: string, upTo: number | null): Promise<StoredRoom> {
    return this.read<StoredRoom>({ op: 'room', roomKey, name, upTo });
  }

  lastSeq(roomKey: string): Promise<number> {
    return this.read<number>({ op: 'lastSeq', roomKey });
  }

  page(roomKey: string, name: string, before: number, limit: number): Promise<StoredPage> {
    return this.read<StoredPage>({ op: 'page', roomKey, name, before, limit });
  }

  pageAfter(roomKey: string, name: string, after: number, before: number, limit: number): Promise<StoredPage> {
    return this.read<StoredPage>({ op: 'pageAfter', roomKey, name, after, before, limit });
  }

  locate(roomKey: string, anchor: Anchor): Promise<number | null> {
    return this.read<number | null>({ op: 'locate', roomKey, anchor });
  }

  /** The newest `limit` messages below `before` holding every one of `words`, oldest first. */
  search(roomKey: string, name: string, words: string[], before: number, limit: number): Promise<StoredPage> {
    return this.read<StoredPage>({ op: 'search', roomKey, name, words, before, limit });
  }

  /** The registry records of `kind` whose key starts with `prefix`, as [key, JSON] pairs in key order. */
  records(kind: string, prefix: string): Promise<Array<[key: string, value: string]>> {
    return this.read<Array<[string, string]>>({ op: 'records', kind, prefix });
  }

  status(): ReaderStatus {
    return { state: this.state, restarts: this.restarts, lastError: this.lastError };
  }

  /** Fault injection for tests: the worker's next read blocks its thread for `ms`. */
  hangWorker(ms: number): void {
    this.worker?.postMessage({ hangMs: ms } satisfies ReaderControl);
  }

  /** Fails what is waiting and closes the worker's connection. */
  async close(): Promise<void> {
    this.stopRestarting();
    this.failAll(new ReadError('the history reader is stopped'), false);
    await this.endWorker();
  }

  private read<T>(request: Request): Promise<T> {
    return this.request<T>(request, undefined);
  }

  protected setup(): ReaderSetup {
    return { file: this.file, busyTimeoutMs: this.busyTimeoutMs };
  }

  protected answered(waiter: Waiter<undefined>, message: Exclude<ReaderMessage, { ready: true }>): void {
    if (message.ok) return waiter.resolve(message.result as never);
    this.lastError = { message: message.error, at: performance.now() };
    waiter.reject(new ReadError(`history could not be read: ${message.error}`));
  }
}
