/**
 * One connection's input, let through fairly. Items are handled in arrival order, at most SLICE per
 * event-loop turn, while the connection's token bucket allows and while its unsent output is small.
 * Whenever an item has to wait, reading stops (the owner pauses its socket), so a burst waits in the
 * kernel's buffers and the peer's own sending instead of our memory; only what was already read waits
 * here. Items the budget can pay for always wait their turn; beyond those, `maxQueued` more may wait for
 * the budget to refill, and the rest are refused (the owner answers RATE_LIMITED and counts a strike;
 * enough strikes end in bye). So a client over its budget is first slowed, then refused, then
 * dropped, and no client can make one turn of the event loop do unbounded work.
 *
 * An item whose handling waits for the engine (a join in a cluster, a history page read off the event
 * loop) holds the gate until it settles, so a connection's requests are answered in order; reading stops
 * only once a slice's worth waits behind it. Its answer's cost is charged only when it settles, so the
 * items that arrive meanwhile are let in provisionally (within the bound above, which keeps memory
 * bounded) and decided once it has settled, when the gate next has to wait: those beyond `maxQueued`
 * more than the budget can then pay for are refused, as they would have been on arrival had the answer
 * come at once. So a held answer never lets more work in than an immediate one.
 */
import type { TokenBucket } from './rate-limit.js';
import { currentTurn } from './turn.js';

/** Items one connection may have handled in one event-loop turn. */
export const SLICE = 16;

export interface GateOwner<T> {
  readonly closed: boolean;
  /**
   * The turn this connection last had items handled in, and how many: kept by the owner, not the gate,
   * because a gate lives only while something waits and the slice must hold across gates in one turn.
   */
  sliceTurn: number;
  sliceUsed: number;
  /** A promise holds the gate until it settles. */
  handle(item: T): void | Promise<void>;
  /** An item that found the queue full. */
  refuse(item: T): void;
  pauseReading(): void;
  resumeReading(): void;
  /** Bytes written to the connection that it has not read yet. */
  outputBacklog(): number;
  /** Calls `resume` once, when the unsent output has drained. */
  onDrained(resume: () => void): void;
  /** Reading was paused (for metrics). */
  onPaused?(): void;
  /** Nothing waits and reading goes on: the owner may drop the gate until its next input. */
  onIdle?(): void;
}

export class InputGate<T> {
  private queue: T[] = [];
  private head = 0;
  private waiting = false;
  private paused = false;
  /** Waiting for a handled item's promise, not for budget, output or the next turn. */
  private holding = false;
  /** How many items at the end of the queue came while an item was held, and are not decided yet. */
  private undecided = 0;

  constructor(
    private readonly owner: GateOwner<T>,
    private readonly budget: TokenBucket,
    private readonly maxQueued: number,
    private readonly maxBacklog: number,
  ) {}

  /** Items read but not handled yet. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  push(item: T): void {
    if (this.queued >= this.maxQueued && this.queued - this.maxQueued >= this.budget.available()) return this.owner.refuse(item);
    if (this.head > 64 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.queue.push(item);
    if (this.holding) this.undecided++;
    if (!this.waiting) this.pump();
    else if (this.holding && !this.paused && this.queued >= SLICE) this.pause();
  }

  /**
   * Charges the budget for work already done (raw bytes read, an answer's size). A budget in debt stops
   * reading until it is paid back, even with nothing queued: input that makes no item is not free.
   */
  charge(cost: number): void {
    this.budget.charge(cost);
    if (!this.waiting) this.pump();
  }

  /** A turn has passed since the slice ran out (setImmediate runs after this turn's input). */
  newTurn(): void {
    this.owner.sliceTurn = currentTurn();
    this.owner.sliceUsed = 0;
  }

  /** After a wait. A function shared by all gates (passed `this`): a closure per gate costs every idle connection. */
  resume(): void {
    this.waiting = false;
    this.pump();
  }

  private pump(): void {
    while (this.queued > 0) {
      if (this.owner.closed) return this.clear();
      const turn = currentTurn();
      const owner = this.owner;
      if (turn !== owner.sliceTurn) {
        owner.sliceTurn = turn;
        owner.sliceUsed = 0;
      }
      if (owner.sliceUsed >= SLICE) return this.wait(() => setImmediate(resumeNextTurn, this));
      if (this.owner.outputBacklog() > this.maxBacklog) return this.wait(() => this.owner.onDrained(() => this.resume()));
      const ms = this.budget.msUntilReady();
      if (ms > 0) return this.wait(() => setTimeout(resumeGate, ms, this));
      this.budget.take();
      owner.sliceUsed++;
      const item = this.queue[this.head++]!;
      const pending = this.owner.handle(item);
      if (pending) return this.hold(pending);
    }
    this.clear();
    const debt = this.budget.msUntilPaid();
    if (debt > 0) return this.wait(() => setTimeout(resumeGate, debt, this));
    if (this.paused) {
      this.paused = false;
      this.owner.resumeReading();
    }
    this.owner.onIdle?.();
  }

  private wait(arm: () => void): void {
    this.decide();
    this.waiting = true;
    if (!this.paused) this.pause();
    arm();
  }

  private pause(): void {
    this.paused = true;
    this.owner.pauseReading();
    this.owner.onPaused?.();
  }

  /**
   * Refuses the items let in while an item was held that the queue would have refused on arrival, had
   * the held answer been charged then: those beyond `maxQueued` more than the budget pays for now.
   */
  private decide(): void {
    const undecided = Math.min(this.undecided, this.queued);
    this.undecided = 0;
    const excess = Math.min(undecided, this.queued - this.maxQueued - this.budget.available());
    if (excess <= 0) return;
    for (const item of this.queue.splice(this.queue.length - excess, excess)) this.owner.refuse(item);
  }

  private hold(pending: Promise<void>): void {
    this.waiting = true;
    this.holding = true;
    const release = (): void => {
      this.holding = false;
      this.resume();
    };
    pending.then(release, release);
  }

  private clear(): void {
    this.queue = [];
    this.head = 0;
    this.undecided = 0;
  }
}

function resumeGate(gate: InputGate<unknown>): void {
  gate.resume();
}

function resumeNextTurn(gate: InputGate<unknown>): void {
  gate.newTurn();
  gate.resume();
}
