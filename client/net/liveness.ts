/**
 * Pings the server on an interval: each pong gives the round-trip time, and a ping left unanswered too
 * long means the connection is dead even though no socket error came (weechat #2189).
 */
export interface LivenessOptions {
  intervalMs: number;
  timeoutMs: number;
  /** A ping unanswered this long is shown as lag, updated every `lagAfterMs / 2`, until the pong or the cut. */
  lagAfterMs?: number;
}

const DEFAULT_LAG_AFTER_MS = 2000;

export class Liveness {
  private timer: NodeJS.Timeout | undefined;
  private lagTimer: NodeJS.Timeout | undefined;
  private seq = 0;
  private outstanding: { ref: string; sentAt: number } | undefined;

  constructor(
    private readonly options: LivenessOptions,
    private readonly sendPing: (ref: string) => void,
    private readonly onRtt: (ms: number) => void,
    private readonly onDead: () => void,
    private readonly onLag: (ms: number) => void = () => undefined,
  ) {}

  private get lagAfterMs(): number {
    return this.options.lagAfterMs ?? DEFAULT_LAG_AFTER_MS;
  }

  /** Pings at once (so the RTT shows right away), then on every interval. */
  start(): void {
    this.stop();
    this.tick();
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    // A frozen server shows as growing lag in the status line, not as a stale round-trip time.
    this.lagTimer = setInterval(() => this.checkLag(), Math.max(50, this.lagAfterMs / 2));
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.lagTimer);
    this.timer = undefined;
    this.lagTimer = undefined;
    this.outstanding = undefined;
  }

  pong(ref: string | undefined): void {
    if (!this.outstanding || ref !== this.outstanding.ref) return;
    this.onRtt(Math.round(performance.now() - this.outstanding.sentAt));
    this.outstanding = undefined;
  }

  private checkLag(): void {
    if (!this.outstanding) return;
    const waited = performance.now() - this.outstanding.sentAt;
    if (waited >= this.lagAfterMs) this.onLag(Math.round(waited));
  }

  private tick(): void {
    const now = performance.now();
    if (this.outstanding) {
      if (now - this.outstanding.sentAt > this.options.timeoutMs) {
        this.stop();
        this.onDead();
      }
      return;
    }
    const ref = `p${++this.seq}`;
    this.outstanding = { ref, sentAt: now };
    this.sendPing(ref);
  }
}
