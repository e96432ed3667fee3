/** The per-connection input gate, in process with a fake owner and fake timers. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InputGate, SLICE, type GateOwner } from '../../server/input-gate.js';
import { TokenBucket } from '../../server/rate-limit.js';

class FakeOwner implements GateOwner<number> {
  closed = false;
  sliceTurn = -1;
  sliceUsed = 0;
  handled: number[] = [];
  refused: number[] = [];
  paused = false;
  backlog = 0;
  private drained: Array<() => void> = [];
  handle(item: number): void { this.handled.push(item); }
  refuse(item: number): void { this.refused.push(item); }
  pauseReading(): void { this.paused = true; }
  resumeReading(): void { this.paused = false; }
  outputBacklog(): number { return this.backlog; }
  onDrained(resume: () => void): void { this.drained.push(resume); }
  onIdle?: () => void;
  drain(): void {
    this.backlog = 0;
    const fns = this.drained;
    this.drained = [];
    for (const f of fns) f();
  }
}

beforeEach(() => { vi.useFakeTimers({ toFake: ['setTimeout', 'setImmediate', 'performance'] }); });
afterEach(() => { vi.useRealTimers(); });

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('InputGate', () => {
  it('handles at most a slice per event-loop turn, pausing reading until the rest is done', () => {
    const owner = new FakeOwner();
    const gate = new InputGate(owner, new TokenBucket(0, 1), 40, 1000);
    for (const i of range(0, 40)) gate.push(i);
    expect(owner.handled).toEqual(range(0, SLICE));
    expect(owner.paused).toBe(true);
    vi.advanceTimersToNextTimer();
    expect(owner.handled).toEqual(range(0, 2 * SLICE));
    vi.runAllTimers();
    expect(owner.handled).toEqual(range(0, 40));
    expect(owner.refused).toEqual([]);
    expect(owner.paused).toBe(false);
  });

  it('over budget it first delays (in order), then refuses what is beyond a queue of maxQueued', () => {
    const owner = new FakeOwner();
    const gate = new InputGate(owner, new TokenBucket(10, 5), 5, 1000);
    for (const i of range(0, 20)) gate.push(i);
    expect(owner.handled).toEqual(range(0, 5));
    expect(owner.refused).toEqual(range(10, 10));
    expect(owner.paused).toBe(true);
    vi.advanceTimersByTime(100);
    expect(owner.handled).toEqual(range(0, 6));
    vi.advanceTimersByTime(400);
    expect(owner.handled).toEqual(range(0, 10));
    expect(owner.paused).toBe(false);
  });

  it('waits while the connection has too much unsent output, and carries on when it drains', () => {
    const owner = new FakeOwner();
    const gate = new InputGate(owner, new TokenBucket(0, 1), 40, 1000);
    gate.push(1);
    owner.backlog = 5000;
    gate.push(2);
    gate.push(3);
    expect(owner.handled).toEqual([1]);
    expect(owner.paused).toBe(true);
    vi.runAllTimers();
    expect(owner.handled).toEqual([1]);
    owner.drain();
    expect(owner.handled).toEqual([1, 2, 3]);
    expect(owner.paused).toBe(false);
  });

  it('a debt charged by a costly reply delays the next item until it is paid', () => {
    const owner = new FakeOwner();
    const budget = new TokenBucket(20, 40);
    const gate = new InputGate(owner, budget, 40, 1000);
    gate.push(1);
    budget.charge(59);
    gate.push(2);
    expect(owner.handled).toEqual([1]);
    vi.advanceTimersByTime(999);
    expect(owner.handled).toEqual([1]);
    vi.advanceTimersByTime(100);
    expect(owner.handled).toEqual([1, 2]);
  });

  it('input that makes no item still costs: a budget in debt stops reading until it is paid back', () => {
    const owner = new FakeOwner();
    const gate = new InputGate(owner, new TokenBucket(20, 40), 40, 1000);
    gate.charge(30);
    expect(owner.paused).toBe(false);
    gate.charge(30);
    expect(owner.paused).toBe(true);
    vi.advanceTimersByTime(999);
    expect(owner.paused).toBe(true);
    vi.advanceTimersByTime(1);
    expect(owner.paused).toBe(false);
  });

  it('the slice holds across gates: an owner that drops its gate when idle still gets a slice per turn', () => {
    const owner = new FakeOwner();
    const budget = new TokenBucket(0, 1);
    let gate: InputGate<number> | null = null;
    owner.onIdle = () => { gate = null; };
    const push = (i: number) => (gate ??= new InputGate(owner, budget, 40, 1000)).push(i);
    for (const i of range(0, 40)) push(i);
    expect(owner.handled).toEqual(range(0, SLICE));
    vi.runAllTimers();
    expect(owner.handled).toEqual(range(0, 40));
    expect(gate).toBe(null);
  });

  it('a held answer, charged when it settles, lets in no more than the same answer charged at once', async () => {
    // Item 0 is a costly request (a history page) answered at once, or held until its read comes back.
    const run = async (cost: number, held: boolean) => {
      const owner = new FakeOwner();
      const budget = new TokenBucket(10, 40);
      let settle = (): void => {};
      owner.handle = (item: number): void | Promise<void> => {
        owner.handled.push(item);
        if (item !== 0) return;
        if (!held) return void budget.charge(cost);
        return new Promise<void>((resolve) => { settle = () => { budget.charge(cost); resolve(); }; });
      };
      const gate = new InputGate(owner, budget, 5, 1000);
      for (const i of range(0, 20)) gate.push(i);
      const refusedAtArrival = [...owner.refused];
      settle();
      await vi.advanceTimersByTimeAsync(0);
      const atOnce = { handled: [...owner.handled], refused: [...owner.refused] };
      await vi.runAllTimersAsync();
      return { refusedAtArrival, atOnce, finally: { handled: owner.handled, refused: owner.refused } };
    };
    for (const cost of [30, 0]) {
      const immediate = await run(cost, false);
      const held = await run(cost, true);
      // While the answer is held its cost is unknown: nothing is refused yet, the items wait.
      expect(held.refusedAtArrival).toEqual([]);
      expect(held.atOnce).toEqual(immediate.atOnce);
      expect(held.finally).toEqual(immediate.finally);
    }
    // The costly answer leaves 9 tokens: items 1-9 go at once, 10-14 wait (maxQueued 5), 15-19 are refused.
    expect((await run(30, true)).atOnce).toEqual({ handled: range(0, 10), refused: range(15, 5) });
  });

  it('drops what is waiting once the connection is closed', () => {
    const owner = new FakeOwner();
    const gate = new InputGate(owner, new TokenBucket(1, 1), 10, 1000);
    for (const i of range(0, 5)) gate.push(i);
    owner.closed = true;
    vi.runAllTimers();
    expect(owner.handled).toEqual([0]);
    expect(gate.queued).toBe(0);
  });
});
