/**
 * After a reconnect, the join replay only holds the newest page of each room. This tracks, per room,
 * which seqs are still missing below it and which `history` request fetches the next older page, until
 * every seq after the last one seen before the drop is loaded (weechat #333: nothing lost, nothing twice).
 */
import { HISTORY_PAGE_MAX, type HistoryEvt } from '../../shared/index.js';

interface Gap {
  /** The first seq we have not seen. */
  from: number;
  /** The lowest seq of the contiguous run loaded since the reconnect (Infinity before the first page). */
  low: number;
  pages: number;
}

/**
 * A gap longer than this many pages is left for scrolling to load on demand: a client that was away for a
 * day should not pull a busy room's whole day at once. The lines from before the drop are then discarded,
 * so what is shown stays contiguous and scrolling up loads the rest.
 */
export const MAX_GAP_PAGES = 10;

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
    this.gaps.set(roomKey, { from: lastSeq + 1, low: Infinity, pages: 0 });
  }

  clear(): void {
    this.gaps.clear();
  }

  pending(roomKey: string): boolean {
    return this.gaps.has(roomKey);
  }

  /**
   * Feeds one history page; returns the next page to ask for while the gap is open, or, past the page
   * limit, the seq below which the old lines no longer join up with the new ones.
   */
  onHistory(roomKey: string, page: HistoryEvt): GapStep {
    const gap = this.gaps.get(roomKey);
    if (!gap) return undefined;
    const seqs = page.messages.map((m) => m.seq);
    if (seqs.length === 0) {
      if (gap.low === Infinity) this.gaps.delete(roomKey);
      return undefined;
    }
    const min = Math.min(...seqs);
    const max = Math.max(...seqs);
    // A page that does not touch the run we are extending answers some other request.
    if (gap.low !== Infinity && (max < gap.low - 1 || min >= gap.low)) return undefined;
    gap.low = Math.min(gap.low, min);
    if (gap.low <= gap.from || !page.more) {
      this.gaps.delete(roomKey);
      return undefined;
    }
    if (++gap.pages > MAX_GAP_PAGES) {
      this.gaps.delete(roomKey);
      return { abandonBelow: gap.low };
    }
    return { next: { room: page.room, before: gap.low, limit: Math.min(HISTORY_PAGE_MAX, gap.low - gap.from) } };
  }
}
