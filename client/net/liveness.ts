/**
 * Pings the server on an interval: each pong gives the round-trip time, and a ping left unanswered too
 * long means the connection is dead even though no socket error came (weechat #2189).
 */
export interface LivenessOptions {
  intervalMs: number;
  timeoutMs: number;
}

export class Liveness {
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private outstanding: { ref: string; sentAt: number } | undefined;

  constructor(
    private readonly options: LivenessOptions,
    private readonly sendPing: (ref: string) => void,
    private readonly onRtt: (ms: number) => void,
    private readonly onDead: () => void,
  ) {}

  /** Pings at once (so the RTT shows right away), then on every interval. */
  start(): void {
    this.stop();
    this.tick();
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.outstanding = undefined;
  }

  pong(ref: string | undefined): void {
    if (!this.outstanding || ref !== this.outstanding.ref) return;
    this.onRtt(Math.round(performance.now() - this.outstanding.sentAt));
    this.outstanding = undefined;
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
