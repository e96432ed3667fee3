/**
 * Group commit: room messages wait here for the end of the event-loop turn and go to the engine as one
 * batch (one SQLite transaction, or one Redis script). They are delivered, and acked, when the engine's
 * events bring them back, so nothing goes out before it is durable. One batch is in flight at a time;
 * what arrives meanwhile forms the next batch, so a busier server commits bigger batches, not more of
 * them, and the event loop never waits for the disk. The engine settles every batch (the writer fails
 * them when it dies, hangs or is down; Redis refuses at once when it is unreachable), so a batch is never
 * in flight for good.
 */
import { performance } from 'node:perf_hooks';
import { EngineError, type NewMessage } from './engine/engine.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';

const FAILURE_LOG_INTERVAL_MS = 5000;

interface Entry {
  message: NewMessage;
  /** Called only if the batch fails; `reason` says why, in words fit for the sender. */
  failed: (reason?: string) => void;
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
    private readonly append: (batch: NewMessage[]) => Promise<void>,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    /** False while the engine cannot take writes: then nothing waits behind an unsettled batch. */
    private readonly reachable: () => boolean = () => true,
  ) {}

  /** Queues a message for commit; `failed` runs if it could not be stored. */
  add(message: NewMessage, failed: Entry['failed']): void {
    this.pending.push({ message, failed });
    this.schedule();
  }

  /** Runs `action` at the end of this event-loop turn. */
  later(action: () => void): void {
    this.afterTurn.push(action);
    this.schedule();
  }

  /** Fails the messages waiting for the next batch (not the one in flight): they were never sent. */
  failPending(reason: string): void {
    if (this.pending.length === 0) return;
    const refused = this.pending;
    this.pending = [];
    this.metrics.historyCommitFailures.inc();
    for (const entry of refused) this.run(() => entry.failed(reason));
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
    // A batch in flight whose outcome waits for the engine to come back: the messages behind it were
    // never sent, so they are refused now, truthfully, instead of hanging until then.
    if (this.inFlight && this.pending.length > 0 && !this.reachable()) this.failPending('the message store is unreachable');
    this.commitNext();
    this.afterFlush();
  };

  private commitNext(): void {
    if (this.inFlight || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.inFlight = true;
    this.metrics.historyBatchSize.observe(batch.length);
    const started = performance.now();
    this.append(batch.map((e) => e.message)).then(
      () => {
        this.metrics.historyCommitSeconds.observe((performance.now() - started) / 1000);
        this.settled(batch, true);
      },
      (err: unknown) => {
        this.metrics.historyCommitFailures.inc();
        this.logFailure(err, batch.length);
        this.settled(batch, false, err instanceof EngineError ? err.message : undefined);
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
    if (!stored) for (const entry of batch) this.run(() => entry.failed(reason));
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
