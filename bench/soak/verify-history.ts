/**
 * After the soak: pages back through the history of every room in the ledger, over the protocol, and
 * reports every acknowledged message that is not there (by id), and every text-mode message that was
 * seen delivered but is not there (by its marker). Rooms are cut into seq ranges paged in parallel by a
 * few connections, each from its own address, one request at a time.
 */
import { bump } from '../attacks/attack.js';
import type { AckLedger } from '../attacks/ledger.js';
import { Wire, addressOf, parse, sleep, typeOf } from '../attacks/wire.js';

export interface HistoryCheck {
  rooms: number;
  acked: number;
  echoed: number;
  /** Acked messages missing from history: the figure that must be 0. */
  lostAcked: number;
  lostEchoed: number;
  pages: number;
  /** Ranges that could not be read to the end (the check is then incomplete). */
  failedRanges: number;
  examples: string[];
  errors: Record<string, number>;
  elapsedMs: number;
}

interface Range {
  room: string;
  /** Lowest seq wanted. */
  lo: number;
  /** Seq to page below; null for the newest. */
  hi: number | null;
}

interface Page {
  messages: Array<{ id: string; seq: number; text: string }>;
  more: boolean;
}

const SEQS_PER_RANGE = 1000;
const PAGE_TIMEOUT_MS = 30_000;
const MARKER = /^~(\d+\.\d+)~/;

export async function verifyHistory(tcpPort: number, ledger: AckLedger, group: number, connections = 24): Promise<HistoryCheck> {
  const started = performance.now();
  const found = new Map<string, { ids: Set<string>; markers: Set<string> }>();
  const ranges: Range[] = [];
  for (const [room, r] of ledger.rooms) {
    found.set(room, { ids: new Set(), markers: new Set() });
    const maxSeq = Math.max(0, ...r.acked.values());
    const k = Math.floor(maxSeq / SEQS_PER_RANGE);
    for (let i = 0; i < k; i++) ranges.push({ room, lo: i * SEQS_PER_RANGE + 1, hi: (i + 1) * SEQS_PER_RANGE + 1 });
    ranges.push({ room, lo: k * SEQS_PER_RANGE + 1, hi: null });
  }
  const check: HistoryCheck = {
    rooms: ledger.rooms.size, acked: 0, echoed: 0, lostAcked: 0, lostEchoed: 0, pages: 0, failedRanges: 0, examples: [], errors: {}, elapsedMs: 0,
  };
  // Large ranges first, so the long pole starts early.
  ranges.reverse();
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(connections, ranges.length) }, async (_, w) => {
    const reader = await PageReader.open(tcpPort, addressOf(group, w), `verify${w}`).catch(() => null);
    if (!reader) {
      check.errors['could not connect'] = (check.errors['could not connect'] ?? 0) + 1;
      return;
    }
    while (next < ranges.length) {
      const range = ranges[next++]!;
      const into = found.get(range.room)!;
      let before = range.hi;
      let ok = false;
      for (;;) {
        const page = await reader.page(range.room, before, check.errors);
        if (!page) break;
        check.pages++;
        for (const m of page.messages) {
          if (m.seq < range.lo) continue;
          into.ids.add(m.id);
          const mk = MARKER.exec(m.text);
          if (mk) into.markers.add(mk[1]!);
        }
        const oldest = page.messages[0]?.seq;
        if (!page.more || oldest === undefined || oldest <= range.lo) {
          ok = true;
          break;
        }
        before = oldest;
      }
      if (!ok) check.failedRanges++;
    }
    reader.close();
  }));
  if (next < ranges.length) check.failedRanges += ranges.length - next;
  for (const [room, r] of ledger.rooms) {
    const f = found.get(room)!;
    check.acked += r.acked.size;
    check.echoed += r.echoed.size;
    for (const [id, seq] of r.acked) {
      if (f.ids.has(id)) continue;
      check.lostAcked++;
      if (check.examples.length < 10) check.examples.push(`${room} id ${id} seq ${seq} (acked)`);
    }
    for (const marker of r.echoed) {
      if (f.markers.has(marker)) continue;
      check.lostEchoed++;
      if (check.examples.length < 10) check.examples.push(`${room} text ~${marker}~ (delivered in text mode)`);
    }
  }
  check.elapsedMs = Math.round(performance.now() - started);
  return check;
}

/** One connection asking for one history page at a time. */
class PageReader {
  private waiter: ((text: Buffer | null) => void) | null = null;

  private constructor(private readonly wire: Wire) {}

  static async open(port: number, localAddress: string, nick: string): Promise<PageReader> {
    const wire = await Wire.open({ kind: 'tcp', port, localAddress });
    const reader = new PageReader(wire);
    let ready: (ok: boolean) => void = () => {};
    const registered = new Promise<boolean>((r) => { ready = r; });
    wire.onReceive((text) => {
      const type = typeOf(text);
      // The #lobby join's who comes last: after it, every history is an answer.
      if (type === 'who') ready(true);
      else if (type === 'error' || type === 'bye') {
        ready(false);
        reader.waiter?.(Buffer.from(text));
      } else if (type === 'history') reader.waiter?.(Buffer.from(text));
    });
    void wire.closed.then(() => {
      ready(false);
      reader.waiter?.(null);
    });
    wire.send({ type: 'hello', nick });
    const timer = setTimeout(() => ready(false), 10_000);
    const ok = await registered;
    clearTimeout(timer);
    if (!ok) {
      wire.drop();
      throw new Error('the history reader could not register');
    }
    return reader;
  }

  /** One page, retried after an error; null when the connection is gone or no answer came. */
  async page(room: string, before: number | null, errors: Record<string, number>): Promise<Page | null> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const answer = await new Promise<Buffer | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), PAGE_TIMEOUT_MS);
        this.waiter = (text) => {
          clearTimeout(timer);
          this.waiter = null;
          resolve(text);
        };
        this.wire.send(before === null ? { type: 'history', room, limit: 200 } : { type: 'history', room, limit: 200, before });
      });
      if (!answer) return null;
      if (typeOf(answer) === 'history') return parse<Page>(answer);
      bump(errors, typeOf(answer) === 'error' ? parse<{ code: string }>(answer).code : 'bye');
      if (this.wire.isClosed) return null;
      await sleep(1000);
    }
    return null;
  }

  close(): void {
    this.wire.close();
  }
}
