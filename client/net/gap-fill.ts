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
}

export interface OlderPage {
  room: string;
  before: number;
  limit: number;
}

export class GapFiller {
  private readonly gaps = new Map<string, Gap>();

  /** Called on reconnect for each room, with the highest seq seen before the drop. */
  expect(roomKey: string, lastSeq: number): void {
    if (lastSeq > 0) this.gaps.set(roomKey, { from: lastSeq + 1, low: Infinity });
  }

  clear(): void {
    this.gaps.clear();
  }

  pending(roomKey: string): boolean {
    return this.gaps.has(roomKey);
  }

  /** Feeds one history page; returns the next page to ask for, if the gap is not closed yet. */
  onHistory(roomKey: string, page: HistoryEvt): OlderPage | undefined {
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
    return { room: page.room, before: gap.low, limit: Math.min(HISTORY_PAGE_MAX, gap.low - gap.from) };
  }
}
