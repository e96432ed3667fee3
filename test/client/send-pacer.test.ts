import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLIENT_PACE, paceFor, replyCost, SendPacer, sendCost } from '../../client/net/send-pacer.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function pacer(perSecond: number, burst: number): { pacer: SendPacer<number>; sent: number[] } {
  const sent: number[] = [];
  return { pacer: new SendPacer({ perSecond, burst }, (n) => sent.push(n), () => Date.now()), sent };
}

describe('the send pacer', () => {
  it('retunes to half the budget a server announces: slower for a strict one, none for an unlimited one', () => {
    expect(paceFor({ rate: 20, burst: 40 })).toEqual(CLIENT_PACE);
    expect(paceFor({ rate: 4, burst: 3 })).toEqual({ perSecond: 2, burst: 1 });
    const { pacer: p, sent } = pacer(10, 20);
    p.retune(paceFor({ rate: 4, burst: 4 }));
    for (let i = 1; i <= 5; i++) p.send(i, 1);
    expect(sent).toEqual([1, 2]);
    vi.advanceTimersByTime(500);
    expect(sent).toEqual([1, 2, 3]);
    p.retune(paceFor({ rate: 0, burst: 40 }));
    expect(sent).toEqual([1, 2, 3, 4, 5]);
  });

  it('lets a burst through at once, then one message per 1/rate seconds, in order', () => {
    const { pacer: p, sent } = pacer(10, 20);
    for (let i = 1; i <= 25; i++) p.send(i, 1);
    expect(sent).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(p.waiting).toBe(5);
    vi.advanceTimersByTime(100);
    expect(sent.at(-1)).toBe(21);
    vi.advanceTimersByTime(400);
    expect(sent).toHaveLength(25);
    expect(p.waiting).toBe(0);
  });

  it('charges by size as the server does, so a debt delays what follows', () => {
    expect(sendCost(0)).toBe(1);
    expect(sendCost(4096 * 3)).toBe(4);
    expect(replyCost(32_768 * 2)).toBe(2);
    const { pacer: p, sent } = pacer(10, 4);
    p.send(1, 9); // one whole token lets it go; the other 8 are a debt
    p.send(2, 1);
    expect(sent).toEqual([1]);
    vi.advanceTimersByTime(500);
    expect(sent).toEqual([1]);
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([1, 2]);
    p.charge(7); // an answer received: the full bucket (4) goes 3 into debt
    p.send(3, 1);
    vi.advanceTimersByTime(399);
    expect(sent).toEqual([1, 2]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([1, 2, 3]);
  });

  it('halves its rate after a refusal, and starts afresh for a new connection with what never went out', () => {
    const { pacer: p, sent } = pacer(10, 1);
    p.send(1, 1);
    p.slowDown();
    p.send(2, 1);
    p.send(3, 1);
    vi.advanceTimersByTime(199);
    expect(sent).toEqual([1]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([1, 2]);
    expect(p.reset()).toEqual([3]);
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([1, 2]);
    p.send(4, 1);
    p.send(5, 1);
    expect(sent).toEqual([1, 2, 4]);
    vi.advanceTimersByTime(100); // the rate is back to 10 a second
    expect(sent).toEqual([1, 2, 4, 5]);
  });

  it('sends everything at once when the rate is 0', () => {
    const { pacer: p, sent } = pacer(0, 1);
    for (let i = 0; i < 100; i++) p.send(i, 50);
    expect(sent).toHaveLength(100);
  });
});

describe('the client pace', () => {
  it('is at most half the server\'s default budget', async () => {
    const { loadConfig } = await import('../../server/config.js');
    const loaded = loadConfig([], {});
    if (!loaded.ok) throw new Error('the server has no default config');
    expect(CLIENT_PACE.perSecond).toBeLessThanOrEqual(loaded.config.rateLimit / 2);
    expect(CLIENT_PACE.burst).toBeLessThanOrEqual(loaded.config.rateBurst / 2);
  });
});
