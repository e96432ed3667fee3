/**
 * Log-linear latency histogram (HdrHistogram-like): exact below 128 µs, then 64 sub-buckets per
 * power of two (≤ 1.6 % error). Values are integer microseconds; counts merge by index, so the
 * generator processes can ship them to the parent as sparse pairs.
 */
const LINEAR = 128;
const SUB = 64;
const MAX_SHIFT = 25;
const SIZE = LINEAR + MAX_SHIFT * SUB;
const MAX_VALUE = 2 ** 31 - 1;

export type SparseCounts = Array<[number, number]>;

export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

function indexOf(v: number): number {
  if (v < LINEAR) return v;
  const msb = 31 - Math.clz32(v);
  const shift = msb - 6;
  return LINEAR + (shift - 1) * SUB + ((v >>> shift) - SUB);
}

/** The highest value that lands in bucket `i`, so percentiles never understate. */
function upperValue(i: number): number {
  if (i < LINEAR) return i;
  const shift = Math.floor((i - LINEAR) / SUB) + 1;
  const top = ((i - LINEAR) % SUB) + SUB;
  return ((top + 1) << shift) - 1;
}

export class Histogram {
  private readonly counts = new Float64Array(SIZE);
  count = 0;
  max = 0;
  private sum = 0;

  /** Records one value in microseconds; negatives (clock skew across processes) count as 0. */
  record(us: number): void {
    const v = us <= 0 ? 0 : us >= MAX_VALUE ? MAX_VALUE : Math.round(us);
    this.counts[indexOf(v)]! += 1;
    this.count += 1;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.max = 0;
    this.sum = 0;
  }

  toSparse(): { counts: SparseCounts; max: number; sum: number } {
    const counts: SparseCounts = [];
    for (let i = 0; i < SIZE; i++) if (this.counts[i]! > 0) counts.push([i, this.counts[i]!]);
    return { counts, max: this.max, sum: this.sum };
  }

  addSparse(s: { counts: SparseCounts; max: number; sum: number }): void {
    for (const [i, n] of s.counts) {
      this.counts[i]! += n;
      this.count += n;
    }
    this.sum += s.sum;
    if (s.max > this.max) this.max = s.max;
  }

  /** Value at quantile q (0..1) in microseconds. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(upperValue(i), this.max);
    }
    return this.max;
  }

  /** Percentiles in milliseconds. */
  summaryMs(): Percentiles {
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      count: this.count,
      p50: ms(this.quantile(0.5)),
      p95: ms(this.quantile(0.95)),
      p99: ms(this.quantile(0.99)),
      max: ms(this.max),
      mean: this.count ? ms(this.sum / this.count) : 0,
    };
  }
}
