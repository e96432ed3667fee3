/**
 * Group commit: room messages wait here for the end of the event-loop turn, are committed to history
 * in one transaction, and only then are delivered (and acked) in the order they were said. A burst of
 * messages costs one transaction, and nothing goes out before it is durable.
 */
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { HistoryStore, StoredMessage } from './store/history-store.js';

interface Entry {
  message: StoredMessage;
  deliver: (stored: boolean) => void;
  stored: boolean;
}

export class CommitQueue {
  private pending: Entry[] = [];
  private queue: Array<() => void> = [];
  private scheduled = false;
  private flushing = false;
  /** Called after each flush; the transports use it to send the flush's writes at once. */
  afterFlush: () => void = () => {};

  constructor(
    private readonly store: HistoryStore,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  /** Queues a message for this turn's commit; `deliver` runs after it, in order, told if it was stored. */
  add(message: StoredMessage, deliver: (stored: boolean) => void): void {
    const entry: Entry = { message, deliver, stored: false };
    this.pending.push(entry);
    this.queue.push(() => entry.deliver(entry.stored));
    this.schedule();
  }

  /** Runs `action` after this turn's commit and the deliveries queued before it. */
  later(action: () => void): void {
    this.queue.push(action);
    this.schedule();
  }

  /** Commits and delivers now what is pending, unless a flush is already under way. */
  settle(): void {
    if (!this.flushing && this.pending.length > 0) this.flush();
  }

  readonly flush = (): void => {
    this.scheduled = false;
    if (this.flushing) return;
    this.flushing = true;
    try {
      this.commit();
      // A delivery may queue more (a flood close's `left`): the loop picks them up in order.
      for (let i = 0; i < this.queue.length; i++) {
        try {
          this.queue[i]!();
        } catch (err) {
          this.log.error({ err }, 'delivery failed');
        }
      }
      this.queue = [];
    } finally {
      this.flushing = false;
    }
    this.afterFlush();
  };

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  private commit(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const started = process.hrtime.bigint();
    try {
      this.store.append(batch.map((p) => p.message));
      for (const entry of batch) entry.stored = true;
    } catch (err) {
      this.log.error({ err, messages: batch.length }, 'history commit failed');
    }
    this.metrics.historyCommitSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    this.metrics.historyBatchSize.observe(batch.length);
  }
}
