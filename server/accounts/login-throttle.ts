/**
 * Brute-force throttling of password checks: each address may try a few passwords and then one every
 * few seconds (every check costs a hash), and each account may see a few failures and then one a
 * minute, whoever tries. Addresses free of the per-address limits (loopback, a proxy) are throttled per
 * account only. Buckets back at full are forgotten, so the maps hold only recent tries.
 */
import { addressKey } from '../admission.js';
import { TokenBucket } from '../rate-limit.js';

export interface ThrottleLimits {
  /** Password checks an address may make at once, then one per `addressEveryMs`. */
  addressBurst: number;
  addressEveryMs: number;
  /** Failed logins an account may take at once, then one per `accountEveryMs`. */
  accountBurst: number;
  accountEveryMs: number;
}

export const DEFAULT_THROTTLE: ThrottleLimits = { addressBurst: 10, addressEveryMs: 3000, accountBurst: 5, accountEveryMs: 60_000 };

const SWEEP_MS = 60_000;

export class LoginThrottle {
  private readonly addresses = new Map<string, TokenBucket>();
  private readonly accounts = new Map<string, TokenBucket>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    /** Addresses free of the per-address limits (Admission.isExempt). */
    private readonly exempt: (address: string) => boolean,
    private readonly limits: ThrottleLimits = DEFAULT_THROTTLE,
  ) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  /**
   * Takes one password check for `remote` against `accountFold`; null when allowed, else the
   * milliseconds to wait.
   */
  attempt(remote: string, accountFold: string): number | null {
    const account = this.accounts.get(accountFold);
    if (account && account.available() < 1) return account.msUntilReady();
    if (this.exempt(remote)) return null;
    const key = addressKey(remote);
    let bucket = this.addresses.get(key);
    if (!bucket) this.addresses.set(key, (bucket = new TokenBucket(1000 / this.limits.addressEveryMs, this.limits.addressBurst)));
    return bucket.take() ? null : bucket.msUntilReady();
  }

  /** A wrong password for the account. */
  failed(accountFold: string): void {
    let bucket = this.accounts.get(accountFold);
    if (!bucket) this.accounts.set(accountFold, (bucket = new TokenBucket(1000 / this.limits.accountEveryMs, this.limits.accountBurst)));
    bucket.charge(1);
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    for (const [key, bucket] of this.addresses) if (bucket.available() >= this.limits.addressBurst) this.addresses.delete(key);
    for (const [key, bucket] of this.accounts) if (bucket.available() >= this.limits.accountBurst) this.accounts.delete(key);
  }
}
