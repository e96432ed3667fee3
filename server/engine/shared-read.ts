/**
 * A read every caller shares for `ms` (the cluster's room directory, its counts): one Redis round trip
 * however many ask meanwhile. A failed read is not kept; `forget` drops one whose source changed.
 */
export class SharedRead<T> {
  private kept: { at: number; value: Promise<T> } | null = null;

  constructor(
    private readonly ms: number,
    private readonly read: () => Promise<T>,
  ) {}

  get(): Promise<T> {
    const now = Date.now();
    if (this.kept && now - this.kept.at < this.ms) return this.kept.value;
    const entry = { at: now, value: this.read() };
    this.kept = entry;
    entry.value.catch(() => {
      if (this.kept === entry) this.kept = null;
    });
    return entry.value;
  }

  forget(): void {
    this.kept = null;
  }
}
