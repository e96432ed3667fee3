import { describe, expect, it } from 'vitest';
import { HISTORY_PAGE_MAX, type HistoryEvt } from '../../shared/index.js';
import { GapFiller, MAX_GAP_MESSAGES, type GapStep, type OlderPage } from '../../client/net/gap-fill.js';

function page(from: number, to: number, more: boolean): HistoryEvt {
  const messages = [];
  for (let seq = from; seq <= to; seq++) messages.push({ room: '#r', id: `i${seq}`, seq, from: 'x', text: 't', ts: 1 });
  return { type: 'history', room: '#r', messages, more };
}

/**
 * A server holding seqs 1..newest that cuts every page to `cut` messages (as a byte cut does with large
 * messages) and still says `more` while older ones exist.
 */
function cutPages(newest: number, cut: number) {
  return (req: { before: number; limit: number }): HistoryEvt => {
    const to = Math.min(req.before - 1, newest);
    const from = Math.max(1, to - Math.min(req.limit, cut) + 1);
    return page(from, to, from > 1);
  };
}

/** Feeds the join replay, then answers each request with `serve` until the filler stops asking. */
function drive(gaps: GapFiller, replay: HistoryEvt, serve: (req: OlderPage) => HistoryEvt, maxRounds = 100_000) {
  const requests: OlderPage[] = [];
  let step: GapStep = gaps.onHistory('#r', replay);
  while (step && 'next' in step) {
    requests.push(step.next);
    if (requests.length > maxRounds) throw new Error('the gap filler loops');
    step = gaps.onHistory('#r', serve(step.next));
  }
  return { requests, last: step };
}

describe('GapFiller', () => {
  it('asks for older pages until it reaches the last seq seen before the drop', () => {
    const gaps = new GapFiller();
    gaps.expect('#r', 100);
    expect(gaps.onHistory('#r', page(451, 500, true))).toEqual({ next: { room: '#r', before: 451, limit: 200 } });
    expect(gaps.onHistory('#r', page(251, 450, true))).toEqual({ next: { room: '#r', before: 251, limit: 150 } });
    expect(gaps.onHistory('#r', page(101, 250, true))).toBeUndefined();
    expect(gaps.pending('#r')).toBe(false);
  });

  it('is done at once when the join replay already reaches back far enough, or the room is empty', () => {
    const gaps = new GapFiller();
    gaps.expect('#r', 10);
    expect(gaps.onHistory('#r', page(5, 30, true))).toBeUndefined();
    gaps.expect('#r', 0);
    expect(gaps.onHistory('#r', page(1, 0, false))).toBeUndefined();
    expect(gaps.pending('#r')).toBe(false);
  });

  it('is done when the server says there is nothing older', () => {
    const gaps = new GapFiller();
    gaps.expect('#r', 100);
    gaps.onHistory('#r', page(451, 500, true));
    expect(gaps.onHistory('#r', page(300, 450, false))).toBeUndefined();
    expect(gaps.pending('#r')).toBe(false);
  });

  it('ignores a page that answers some other request (older than the gap: scrolling the old lines)', () => {
    const gaps = new GapFiller();
    gaps.expect('#r', 100);
    gaps.onHistory('#r', page(451, 500, true));
    expect(gaps.onHistory('#r', page(1, 50, true))).toBeUndefined();
    expect(gaps.onHistory('#r', page(1, 0, false))).toBeUndefined();
    expect(gaps.pending('#r')).toBe(true);
    expect(gaps.onHistory('#r', page(251, 450, true))).toEqual({ next: { room: '#r', before: 251, limit: 150 } });
  });

  it('follows the lowest seq received through pages the server cut short, however many', () => {
    const gaps = new GapFiller();
    gaps.expect('#r', 100);
    // 350 missing messages in pages of 7: 50 pages, far past the 10 pages the filler used to allow.
    const { requests, last } = drive(gaps, page(451, 500, true), cutPages(500, 7));
    expect(last).toBeUndefined();
    expect(gaps.pending('#r')).toBe(false);
    expect(requests.length).toBe(Math.ceil(350 / 7));
    expect(requests[0]).toEqual({ room: '#r', before: 451, limit: 200 });
    expect(requests[1]).toEqual({ room: '#r', before: 444, limit: 200 });
    for (let i = 1; i < requests.length; i++) expect(requests[i]!.before).toBeLessThan(requests[i - 1]!.before);
    // The last request asks only for what is still missing.
    expect(requests.at(-1)).toEqual({ room: '#r', before: 108, limit: 7 });
  });

  it('ends the gap on a page that repeats seqs it already has, instead of asking again', () => {
    const gaps = new GapFiller();
    gaps.expect('#r', 100);
    gaps.onHistory('#r', page(451, 500, true));
    expect(gaps.onHistory('#r', page(431, 450, true))).toEqual({ next: { room: '#r', before: 431, limit: 200 } });
    // The same page again (a server that ignores `before`): nothing lower, so the gap ends here.
    expect(gaps.onHistory('#r', page(431, 450, true))).toEqual({ abandonBelow: 431 });
    expect(gaps.pending('#r')).toBe(false);
    expect(gaps.onHistory('#r', page(431, 450, true))).toBeUndefined();
  });

  it('ends the gap on a repeat of the join replay too', () => {
    const gaps = new GapFiller();
    gaps.expect('#r', 100);
    gaps.onHistory('#r', page(451, 500, true));
    expect(gaps.onHistory('#r', page(451, 500, true))).toEqual({ abandonBelow: 451 });
  });

  it('stops at the message bound, asking at the end only for what the bound leaves', () => {
    const gaps = new GapFiller();
    gaps.expect('#r', 1);
    const { requests, last } = drive(gaps, page(99_951, 100_000, true), cutPages(100_000, 30));
    const loaded = 100_000 - (last as { abandonBelow: number }).abandonBelow + 1;
    expect(loaded).toBe(MAX_GAP_MESSAGES);
    expect(requests.at(-1)!.limit).toBe((MAX_GAP_MESSAGES - 50) % 30 || 30);
    expect(requests.length).toBe(Math.ceil((MAX_GAP_MESSAGES - 50) / 30));
    expect(gaps.pending('#r')).toBe(false);
  });

  it('stops at the message bound with full pages as well', () => {
    const gaps = new GapFiller();
    gaps.expect('#r', 1);
    const { requests, last } = drive(gaps, page(99_801, 100_000, true), cutPages(100_000, HISTORY_PAGE_MAX));
    expect(last).toEqual({ abandonBelow: 100_000 - MAX_GAP_MESSAGES + 1 });
    expect(requests.length).toBe(MAX_GAP_MESSAGES / HISTORY_PAGE_MAX - 1);
  });

  it('never asks twice for the same cursor and always stops, whatever the server answers', () => {
    // A deterministic hostile server: repeats, overlaps, empty pages, pages above and below the cursor.
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const gaps = new GapFiller();
      gaps.expect('#r', random(1000));
      const hostile = (req: OlderPage): HistoryEvt => {
        const top = req.before - 1 + random(40) - 20;
        const size = random(5) === 0 ? 0 : 1 + random(30);
        return page(Math.max(1, top - size + 1), Math.max(0, top), random(10) !== 0);
      };
      const { requests } = drive(gaps, page(4000, 4050, true), hostile, MAX_GAP_MESSAGES + 1);
      for (let i = 1; i < requests.length; i++) expect(requests[i]!.before).toBeLessThan(requests[i - 1]!.before);
      expect(requests.length).toBeLessThanOrEqual(MAX_GAP_MESSAGES);
    }
  });
});
