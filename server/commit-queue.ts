/**
 * Group commit: room messages wait here for the end of the event-loop turn, are committed to history
 * in one transaction on the writer thread, and only then are delivered (and acked) in the order they
 * were said. One batch is in flight at a time; what arrives meanwhile forms the next batch, so a busier
 * server commits bigger batches, not more of them. Nothing goes out before it is durable, and the event
 * loop never waits for the disk. The writer settles every batch (it fails them when it dies, hangs or
 * is down), so a batch is never in flight for good.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import { CommitError, type HistoryWriter } from './store/history-writer.js';
import type { StoredMessage } from './store/history-store.js';

const FAILURE_LOG_INTERVAL_MS = 5000;

interface Entry {
  message: StoredMessage;
  /** `reason` says why it was not stored, in words fit for the sender. */
  deliver: (stored: boolean, reason?: string) => void;
}

export class CommitQueue {
  private pending: Entry[] = [];
  private inFlight = false;
  private afterTurn: Array<() => void> = [];
  private scheduled = false;
  private idle: Array<() => void> = [];
  private lastFailureLog = -Infinity;
  private failuresUnlogged = 0;
  /** Called after each round of deliveries; the transports use it to send those writes at once. */
  afterFlush: () => void = () => {};

  constructor(
    private readonly writer: HistoryWriter,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  /** Queues a message for commit; `deliver` runs once it is committed (or failed), in order. */
  add(message: StoredMessage, deliver: Entry['deliver']): void {
    this.pending.push({ message, deliver });
    this.schedule();
  }

  /** Runs `action` at the end of this event-loop turn. */
  later(action: () => void): void {
    this.afterTurn.push(action);
    this.schedule();
  }

  /** Resolves once every message added so far is committed and delivered. */
  drain(): Promise<void> {
    if (!this.inFlight && this.pending.length === 0) return Promise.resolve();
    this.commitNext();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.endOfTurn);
  }

  private readonly endOfTurn = (): void => {
    this.scheduled = false;
    const actions = this.afterTurn;
    this.afterTurn = [];
    for (const action of actions) this.run(action);
    this.commitNext();
    this.afterFlush();
  };

  private commitNext(): void {
    if (this.inFlight || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.inFlight = true;
    this.metrics.historyBatchSize.observe(batch.length);
    this.writer.append(batch.map((e) => e.message)).then(
      (seconds) => {
        this.metrics.historyCommitSeconds.observe(seconds);
        this.settled(batch, true);
      },
      (err: unknown) => {
        this.metrics.historyCommitFailures.inc();
        this.logFailure(err, batch.length);
        this.settled(batch, false, err instanceof CommitError ? err.message : undefined);
      },
    );
  }

  // While the store is down every batch fails; one line per FAILURE_LOG_INTERVAL_MS says so.
  private logFailure(err: unknown, messages: number): void {
    this.failuresUnlogged++;
    const now = performance.now();
    if (now - this.lastFailureLog < FAILURE_LOG_INTERVAL_MS) return;
    this.log.error({ err, messages, failedBatches: this.failuresUnlogged }, 'history commit failed');
    this.lastFailureLog = now;
    this.failuresUnlogged = 0;
  }

  private settled(batch: Entry[], stored: boolean, reason?: string): void {
    for (const entry of batch) this.run(() => entry.deliver(stored, reason));
    this.inFlight = false;
    this.commitNext();
    this.afterFlush();
    if (!this.inFlight && this.pending.length === 0) {
      const waiters = this.idle;
      this.idle = [];
      for (const resolve of waiters) resolve();
    }
  }

  private run(action: () => void): void {
    try {
      action();
    } catch (err) {
      this.log.error({ err }, 'delivery failed');
    }
  }
}
