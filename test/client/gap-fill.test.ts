import { describe, expect, it } from 'vitest';
import type { HistoryEvt } from '../../shared/index.js';
import { GapFiller, MAX_GAP_PAGES } from '../../client/net/gap-fill.js';

function page(from: number, to: number, more: boolean): HistoryEvt {
  const messages = [];
  for (let seq = from; seq <= to; seq++) messages.push({ room: '#r', id: `i${seq}`, seq, from: 'x', text: 't', ts: 1 });
  return { type: 'history', room: '#r', messages, more };
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

  it('ignores a page that answers some other request (not adjacent to the run it extends)', () => {
    const gaps = new GapFiller();
    gaps.expect('#r', 100);
    gaps.onHistory('#r', page(451, 500, true));
    expect(gaps.onHistory('#r', page(1, 50, true))).toBeUndefined();
    expect(gaps.pending('#r')).toBe(true);
    expect(gaps.onHistory('#r', page(251, 450, true))).toEqual({ next: { room: '#r', before: 251, limit: 150 } });
  });

  it('gives up after the page limit and says below which seq the old lines no longer join up', () => {
    const gaps = new GapFiller();
    gaps.expect('#r', 1);
    let top = 100_000;
    let step = gaps.onHistory('#r', page(top - 49, top, true));
    for (let i = 0; i < MAX_GAP_PAGES; i++) {
      expect(step).toHaveProperty('next');
      top -= i === 0 ? 50 : 200;
      step = gaps.onHistory('#r', page(top - 199, top, true));
    }
    expect(step).toEqual({ abandonBelow: top - 199 });
  });
});
