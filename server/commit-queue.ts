/**
 * Group commit: room messages wait here for the end of the event-loop turn, are committed to history
 * in one transaction on the writer thread, and only then are delivered (and acked) in the order they
 * were said. One batch is in flight at a time; what arrives meanwhile forms the next batch, so a busier
 * server commits bigger batches, not more of them. Nothing goes out before it is durable, and the event
 * loop never waits for the disk.
 */
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { HistoryWriter } from './store/history-writer.js';
import type { StoredMessage } from './store/history-store.js';

interface Entry {
  message: StoredMessage;
  deliver: (stored: boolean) => void;
}

export class CommitQueue {
  private pending: Entry[] = [];
  private inFlight = false;
  private afterTurn: Array<() => void> = [];
  private scheduled = false;
  private idle: Array<() => void> = [];
  /** Called after each round of deliveries; the transports use it to send those writes at once. */
  afterFlush: () => void = () => {};

  constructor(
    private readonly writer: HistoryWriter,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  /** Queues a message for commit; `deliver` runs once it is committed (or failed), in order. */
  add(message: StoredMessage, deliver: (stored: boolean) => void): void {
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
        this.log.error({ err, messages: batch.length }, 'history commit failed');
        this.settled(batch, false);
      },
    );
  }

  private settled(batch: Entry[], stored: boolean): void {
    for (const entry of batch) this.run(() => entry.deliver(stored));
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
