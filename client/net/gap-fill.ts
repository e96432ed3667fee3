/**
 * After a reconnect, the join replay only holds the newest page of each room. This tracks, per room,
 * which seqs are still missing below it and which `history` request fetches the next older page, until
 * every seq after the last one seen before the drop is loaded (weechat #333: nothing lost, nothing twice).
 *
 * The server may cut a page short by bytes and still say `more`, so the cursor is the lowest seq received,
 * never a count. Each request's `before` is strictly lower than the last one's, a page that does not lower
 * it ends the gap, and the work is bounded in messages: it cannot loop, whatever the server answers.
 */
import { HISTORY_PAGE_MAX, type HistoryEvt } from '../../shared/index.js';

interface Gap {
  /** The first seq we have not seen. */
  from: number;
  /** The lowest seq of the contiguous run loaded since the reconnect (Infinity before the first page). */
  low: number;
  /** Messages loaded for this gap so far, the join replay included. */
  loaded: number;
}

/**
 * A gap longer than this many messages is left for scrolling to load on demand: a client that was away for
 * a day should not pull a busy room's whole day at once. The lines from before the drop are then discarded,
 * so what is shown stays contiguous and scrolling up loads the rest. Every page counted holds at least one
 * message, so this also bounds the number of requests.
 */
export const MAX_GAP_MESSAGES = 2000;

export interface OlderPage {
  room: string;
  before: number;
  limit: number;
}

/** What to do after a history page: ask for the next one, or give up on what lies below `below`. */
export type GapStep = { next: OlderPage } | { abandonBelow: number } | undefined;

export class GapFiller {
  private readonly gaps = new Map<string, Gap>();

  /** Called on reconnect for each room, with the highest seq seen before the drop (0: the room was empty). */
  expect(roomKey: string, lastSeq: number): void {
    this.gaps.set(roomKey, { from: lastSeq + 1, low: Infinity, loaded: 0 });
  }

  clear(): void {
    this.gaps.clear();
  }

  pending(roomKey: string): boolean {
    return this.gaps.has(roomKey);
  }

  /**
   * Feeds one history page; returns the next page to ask for while the gap is open, or, when the gap
   * ends unfilled (the message bound, or a page that brings nothing older), the seq below which the old
   * lines no longer join up with the new ones.
   */
  onHistory(roomKey: string, page: HistoryEvt): GapStep {
    const gap = this.gaps.get(roomKey);
    if (!gap) return undefined;
    if (page.messages.length === 0) {
      // The join replay of an empty room: nothing is missing. Later, an empty page may answer someone
      // else's request (scrolling among the old lines), so it proves nothing about ours.
      if (gap.low === Infinity) this.gaps.delete(roomKey);
      return undefined;
    }
    let min = Infinity;
    let max = -Infinity;
    for (const m of page.messages) {
      if (m.seq < min) min = m.seq;
      if (m.seq > max) max = m.seq;
    }
    // Wholly below the gap: an older page of the lines from before the drop, asked for by scrolling.
    if (gap.low !== Infinity && max < gap.from) return undefined;
    if (min >= gap.low) return this.abandon(roomKey, gap);
    gap.low = min;
    gap.loaded += page.messages.length;
    if (gap.low <= gap.from || !page.more) {
      this.gaps.delete(roomKey);
      return undefined;
    }
    const budget = MAX_GAP_MESSAGES - gap.loaded;
    if (budget <= 0) return this.abandon(roomKey, gap);
    return { next: { room: page.room, before: gap.low, limit: Math.min(HISTORY_PAGE_MAX, gap.low - gap.from, budget) } };
  }

  private abandon(roomKey: string, gap: Gap): GapStep {
    this.gaps.delete(roomKey);
    return { abandonBelow: gap.low };
  }
}
