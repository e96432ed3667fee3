/**
 * Time for rates and timeouts: a monotonic clock (a wall-clock step must never punish anyone), and a
 * watch that notices when the process was frozen (SIGSTOP, a VM pause) or its event loop stalled, so
 * the input that piled up meanwhile is not counted as a flood.
 */
export type Clock = () => number;

/** Milliseconds from an arbitrary origin; never goes back. */
export const monotonic: Clock = () => performance.now();

const TICK_MS = 100;
/** A gap this much longer than a tick is a stall, not timer jitter. */
const STALL_MIN_MS = 1000;

export class StallWatch {
  private lastTick: number;
  private stallEnd = -Infinity;
  private stallMs = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly clock: Clock = monotonic) {
    this.lastTick = clock();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /**
   * How many milliseconds of recent stall to forgive at `now`: the length of the last stall, for as long
   * again after it ended (time enough to work through its backlog), else 0. A stall still in progress
   * counts too: after SIGCONT the sockets are read before any timer runs.
   */
  forgivenMs(now = this.clock()): number {
    const current = now - this.lastTick - TICK_MS;
    if (current >= STALL_MIN_MS) return current;
    return now - this.stallEnd < this.stallMs ? this.stallMs : 0;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const now = this.clock();
    const gap = now - this.lastTick - TICK_MS;
    this.lastTick = now;
    if (gap >= STALL_MIN_MS) {
      this.stallEnd = now;
      this.stallMs = gap;
    }
  }
}
