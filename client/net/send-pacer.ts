/**
 * Paces what the client sends so the server's flood control never has to: a token bucket that costs each
 * message the way the server counts it (docs/protocol.md, "Rate limiting and abuse"), at a rate and burst
 * well under the server's defaults (20 a second, bursts of 40). Messages wait here in order instead of in
 * the server's queue, where past its burst they would be refused and count as strikes towards `bye: flood`.
 */

export interface PaceOptions {
  /** Tokens refilled per second; 0 sends everything at once (no pacing). */
  perSecond: number;
  /** Most tokens held. */
  burst: number;
}

/**
 * Half the server's default budget, until `welcome` says what this server's is: the server also charges
 * for the size of the answers it sends, which the client counts only once they arrive.
 */
export const CLIENT_PACE: PaceOptions = { perSecond: 10, burst: 20 };

/** The pace for a server's announced budget: half of it, as CLIENT_PACE is of the default. */
export function paceFor(limits: { rate: number; burst: number }): PaceOptions {
  return { perSecond: limits.rate / 2, burst: Math.max(1, Math.floor(limits.burst / 2)) };
}

/** What sending costs on the server: a token per message plus one per 4 KiB of input. */
export function sendCost(bytes: number): number {
  return 1 + bytes / 4096;
}

/** What an answer costs on the server (history, rooms, who): a token per 32 KiB. */
export function replyCost(bytes: number): number {
  return bytes / 32_768;
}

/** The slowest the client slows itself to after the server refused it for flood. */
const MIN_PER_SECOND = 1;

interface Waiting<T> {
  item: T;
  cost: number;
}

export class SendPacer<T> {
  private tokens: number;
  private last: number;
  private perSecond: number;
  private queue: Waiting<T>[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private options: PaceOptions,
    private readonly deliver: (item: T) => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.perSecond = options.perSecond;
    this.tokens = options.burst;
    this.last = now();
  }

  /** Items waiting for the budget. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Delivers `item` now if the budget allows and nothing waits before it; otherwise it waits its turn. */
  send(item: T, cost: number): void {
    this.queue.push({ item, cost });
    this.pump();
  }

  /** Spends `cost` for something sent outside the queue (a ping) or an answer received; may go into debt. */
  charge(cost: number): void {
    this.refill();
    this.tokens -= cost;
  }

  /** Paces to `options` from now on (what the server said its budget is); never more at once than before. */
  retune(options: PaceOptions): void {
    this.refill();
    this.options = options;
    this.perSecond = options.perSecond;
    this.tokens = Math.min(this.tokens, options.burst);
    // A wait timed for the old rate no longer holds.
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pump();
  }

  /** The server refused us for flood, so its budget is smaller than ours: halve the rate from now on. */
  slowDown(): void {
    if (this.perSecond === 0) return;
    this.refill();
    this.perSecond = Math.max(MIN_PER_SECOND, this.perSecond / 2);
  }

  /** A full budget again, for a new connection (the server's budget is per connection); returns what never went out. */
  reset(): T[] {
    clearTimeout(this.timer);
    this.timer = undefined;
    const left = this.queue.map((w) => w.item);
    this.queue = [];
    this.perSecond = this.options.perSecond;
    this.tokens = this.options.burst;
    this.last = this.now();
    return left;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.options.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }

  private pump(): void {
    if (this.timer) return;
    while (this.queue.length > 0) {
      if (this.perSecond > 0) {
        this.refill();
        // Like the server: a message needs one whole token; its size is charged on top and may leave a debt.
        if (this.tokens < 1) {
          const ms = Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.pump();
          }, ms);
          return;
        }
        this.tokens -= this.queue[0]!.cost;
      }
      this.deliver(this.queue.shift()!.item);
    }
  }
}
