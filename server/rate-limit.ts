import { monotonic, type Clock } from './clock.js';

/**
 * A token bucket on a monotonic clock: `rate` tokens a second, holding at most `burst` (plus, after a
 * stall, what the stall would have refilled: what clients sent meanwhile is not a flood). `charge` may
 * take it below zero, for work whose cost is known only once done (a history page's bytes): the debt
 * is paid back by waiting. A rate of 0 never refuses.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly clock: Clock = monotonic,
    private readonly forgivenMs: (now: number) => number = () => 0,
  ) {
    this.tokens = burst;
    this.last = clock();
  }

  get unlimited(): boolean {
    return this.rate === 0;
  }

  /** Takes `cost` tokens if there are that many (at least one); false leaves the bucket as it was. */
  take(cost = 1): boolean {
    if (this.rate === 0) return true;
    this.refill();
    if (this.tokens < Math.min(cost, this.burst)) return false;
    this.tokens -= cost;
    return true;
  }

  /** Spends `cost` whatever is left, going into debt if need be. */
  charge(cost: number): void {
    if (this.rate === 0) return;
    this.refill();
    this.tokens -= cost;
  }

  /** Whole tokens there are now (Infinity when unlimited). */
  available(): number {
    if (this.rate === 0) return Infinity;
    this.refill();
    return Math.max(0, Math.floor(this.tokens));
  }

  /** Milliseconds until `take(1)` would succeed (0: now). */
  msUntilReady(): number {
    return this.msUntil(1);
  }

  /** Milliseconds until the bucket is out of debt (0: it is not in debt). */
  msUntilPaid(): number {
    return this.msUntil(0);
  }

  private msUntil(level: number): number {
    if (this.rate === 0) return 0;
    this.refill();
    return this.tokens >= level ? 0 : Math.ceil(((level - this.tokens) * 1000) / this.rate);
  }

  private refill(): void {
    const now = this.clock();
    const cap = this.burst + (this.rate * this.forgivenMs(now)) / 1000;
    this.tokens = Math.min(cap, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
  }
}
