/** The token bucket and the stall watch, in process on a fake clock. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StallWatch } from '../../server/clock.js';
import { TokenBucket } from '../../server/rate-limit.js';

function fakeClock(start = 1000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => { t += ms; } };
}

afterEach(() => { vi.useRealTimers(); });

describe('TokenBucket', () => {
  it('lets a burst through, refuses past it, and refills at the rate', () => {
    const clock = fakeClock();
    const b = new TokenBucket(10, 3, clock.now);
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false]);
    expect(b.msUntilReady()).toBe(100);
    clock.advance(100);
    expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    clock.advance(60_000);
    expect(b.available()).toBe(3);
  });

  it('is not moved by a wall-clock step: stepping Date back an hour refuses nothing', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const b = new TokenBucket(20, 40);
    vi.setSystemTime(Date.now() - 3_600_000);
    expect(b.take()).toBe(true);
    expect(b.available()).toBe(39);
  });

  it('charge goes into debt, paid back by waiting', () => {
    const clock = fakeClock();
    const b = new TokenBucket(20, 40, clock.now);
    b.charge(60);
    expect(b.available()).toBe(0);
    expect(b.take()).toBe(false);
    expect(b.msUntilReady()).toBe(1050);
    clock.advance(1050);
    expect(b.take()).toBe(true);
  });

  it('after a stall holds what the stall refilled, then settles back to the burst', () => {
    const clock = fakeClock();
    let forgiven = 0;
    const b = new TokenBucket(10, 5, clock.now, () => forgiven);
    for (let i = 0; i < 5; i++) b.take();
    clock.advance(10_000);
    forgiven = 10_000;
    // The bucket may hold up to 5 + 100 now: what ten seconds refilled is all there.
    expect(b.available()).toBe(100);
    forgiven = 0;
    clock.advance(1);
    expect(b.available()).toBe(5);
  });

  it('a rate of 0 never refuses and never owes', () => {
    const b = new TokenBucket(0, 1, fakeClock().now);
    b.charge(1e9);
    expect(b.take()).toBe(true);
    expect(b.msUntilReady()).toBe(0);
    expect(b.available()).toBe(Infinity);
  });
});

describe('StallWatch', () => {
  it('forgives a stall while it lasts and for as long again after, then nothing', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const clock = fakeClock();
    const watch = new StallWatch(clock.now);
    // Time passing normally: the clock and the watch's timer move together.
    const run = (ms: number) => { for (let t = 0; t < ms; t += 100) { clock.advance(100); vi.advanceTimersByTime(100); } };
    run(1000);
    expect(watch.forgivenMs()).toBe(0);
    // Frozen for 5 s: the sockets are read before the watch's timer runs, and the stall already counts.
    clock.advance(5100);
    expect(watch.forgivenMs()).toBe(5000);
    vi.advanceTimersByTime(100);
    expect(watch.forgivenMs()).toBe(5000);
    run(4800);
    expect(watch.forgivenMs()).toBe(5000);
    run(300);
    expect(watch.forgivenMs()).toBe(0);
    watch.stop();
  });

  it('ignores ordinary timer jitter', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const clock = fakeClock();
    const watch = new StallWatch(clock.now);
    clock.advance(900);
    expect(watch.forgivenMs()).toBe(0);
    watch.stop();
  });
});
