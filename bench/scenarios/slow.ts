/**
 * slow: F fast readers and S stalled readers (registered, joined, then never read again) in one room,
 * under a steady open-loop load. The server should drop the stalled readers once their output passes
 * its bound (--max-buffered-bytes), hold bounded memory meanwhile, and the fast readers should not notice.
 */
import { GeneratorPool, type LoadResult } from '../gen/pool.js';
import { portOf, type Lane } from '../lanes.js';
import { kernelTcpMemKb, sampleProcess, scrapeMetric } from '../targets/proc-stats.js';
import type { Target } from '../targets/target.js';
import { processesFor, withSession, type Session } from './session.js';

const ROOM = '#slow';
const DROPPED_METRIC = 'chat_slow_consumers_dropped_total';
const POLL_MS = 100;
/** The server cuts a dropped connection 3 s after its `bye` (CLOSE_GRACE_MS); the after load spans that, with a margin. */
const TEARDOWN_MS = 3500;

export interface SlowOptions {
  fast: number;
  stalled: number;
  senders: number;
  /** Offered messages per second, all senders together; every member gets each one. */
  msgRate: number;
  textLen: number;
  loadMs: number;
  /** The fast readers alone before the stalled ones join; 0 skips it. */
  controlMs: number;
  /** The fast readers once the load ends: at least this long, and until the dropped connections are torn down; 0 skips it. */
  afterMs: number;
  maxBufferedBytes: number;
  procs: number;
  setupTimeoutMs: number;
}

export interface SlowRow {
  lane: string;
  fastReady: number;
  stalledReady: number;
  senders: number;
  msgRate: number;
  textLen: number;
  loadMs: number;
  maxBufferedBytes: number;
  /** The fast readers with no stalled reader in the room. */
  control: LoadResult | null;
  /** The fast readers while the stalled ones fill up and are dropped. */
  load: LoadResult | null;
  /** The fast readers right after the load above, until the server has torn down the connections it dropped. */
  after: LoadResult | null;
  afterMs: number;
  /** Stalled readers the server dropped (its chat_slow_consumers_dropped_total) by the end of the after load. */
  dropped: number;
  /** Seconds from the first message sent to the first drop, and to the last stalled reader's drop. */
  firstDropSec: number | null;
  allDroppedSec: number | null;
  rssBeforeMb: number;
  rssPeakMb: number;
  /** At the end of the after load. */
  rssAfterMb: number;
  /** Growth of all TCP socket buffers on the machine (both ends of every socket), at its peak. */
  kernelTcpPeakMb: number;
}

const mb = (kb: number) => Math.round(kb / 102.4) / 10;

/** Samples the server's RSS, the kernel's TCP memory and the drop counter while a load runs. */
class DropWatch {
  private startedAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private scraping = false;
  rssPeakKb = 0;
  tcpPeakKb = 0;
  dropped = 0;
  firstDropMs: number | null = null;
  allDroppedMs: number | null = null;

  constructor(private readonly target: Target, private readonly stalled: number, private readonly droppedBefore: number) {}

  start(): void {
    this.startedAt = performance.now();
    this.timer = setInterval(() => this.poll(), POLL_MS);
  }

  /**
   * Milliseconds until the last dropped connection is torn down. A busy server answers scrapes late, so
   * while the last drop is not seen yet, it is taken to happen now.
   */
  untilTornDown(): number {
    const elapsed = performance.now() - this.startedAt;
    return Math.max(0, (this.allDroppedMs ?? elapsed) + TEARDOWN_MS - elapsed);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private poll(): void {
    this.rssPeakKb = Math.max(this.rssPeakKb, sampleProcess(this.target.pid).rssKb);
    this.tcpPeakKb = Math.max(this.tcpPeakKb, kernelTcpMemKb());
    if (this.scraping) return;
    this.scraping = true;
    void scrapeMetric(this.target.metricsUrl, DROPPED_METRIC).then((v) => {
      this.scraping = false;
      if (v === null || !this.timer) return;
      const at = performance.now() - this.startedAt;
      this.dropped = v - this.droppedBefore;
      if (this.dropped > 0) this.firstDropMs ??= at;
      if (this.dropped >= this.stalled) this.allDroppedMs ??= at;
    });
  }
}

function reference(o: SlowOptions, measureMs: number) {
  return { msgRate: o.msgRate, senders: o.senders, warmupMs: 200, measureMs, textLen: o.textLen };
}

async function measureWithStalled(s: Session, o: SlowOptions, row: SlowRow, stalledPool: GeneratorPool): Promise<void> {
  const fill = await stalledPool.connect({
    transport: s.lane.transport, port: portOf(s.lane, s.target), count: o.stalled, rooms: [ROOM], nickPrefix: 'z',
    concurrency: s.lane.connectConcurrency, timeoutMs: o.setupTimeoutMs,
  });
  row.stalledReady = await stalledPool.stall();
  if (fill.ready < 1) return;
  await new Promise((r) => setTimeout(r, 300));
  const before = sampleProcess(s.target.pid).rssKb;
  const tcpBefore = kernelTcpMemKb();
  const watch = new DropWatch(s.target, row.stalledReady, (await scrapeMetric(s.target.metricsUrl, DROPPED_METRIC)) ?? 0);
  try {
    row.load = await s.pool.load(
      { msgRate: o.msgRate, senders: o.senders, warmupMs: 0, measureMs: o.loadMs, textLen: o.textLen },
      { start: () => watch.start(), end: () => undefined },
    );
    if (o.afterMs > 0) {
      row.afterMs = Math.round(Math.max(o.afterMs, watch.untilTornDown()));
      row.after = await s.pool.load(reference(o, row.afterMs));
    }
  } finally {
    watch.stop();
  }
  const after = sampleProcess(s.target.pid).rssKb;
  row.dropped = watch.dropped;
  row.firstDropSec = watch.firstDropMs === null ? null : Math.round(watch.firstDropMs / 100) / 10;
  row.allDroppedSec = watch.allDroppedMs === null ? null : Math.round(watch.allDroppedMs / 100) / 10;
  row.rssBeforeMb = mb(before);
  row.rssPeakMb = mb(Math.max(before, watch.rssPeakKb));
  row.rssAfterMb = mb(after);
  row.kernelTcpPeakMb = mb(Math.max(0, watch.tcpPeakKb - tcpBefore));
}

export async function runSlow(lane: Lane, o: SlowOptions): Promise<SlowRow> {
  const args = ['--max-buffered-bytes', String(o.maxBufferedBytes)];
  // Closed only after the server has stopped: tearing down a thousand full connections would only add a wait.
  const stalledPool = new GeneratorPool(processesFor(o.stalled, 1));
  try {
    return await withSession(lane, o.fast + o.stalled, o.procs, async (s) => {
      const row: SlowRow = {
        lane: lane.id, fastReady: 0, stalledReady: 0, senders: o.senders, msgRate: o.msgRate, textLen: o.textLen,
        loadMs: o.loadMs, maxBufferedBytes: o.maxBufferedBytes, control: null, load: null, after: null, afterMs: 0, dropped: 0,
        firstDropSec: null, allDroppedSec: null, rssBeforeMb: 0, rssPeakMb: 0, rssAfterMb: 0, kernelTcpPeakMb: 0,
      };
      const fast = await s.pool.connect({
        transport: lane.transport, port: portOf(lane, s.target), count: o.fast, rooms: [ROOM], nickPrefix: 'f',
        concurrency: lane.connectConcurrency, timeoutMs: o.setupTimeoutMs,
      });
      row.fastReady = fast.ready;
      if (fast.ready < 1) return row;
      if (o.controlMs > 0) row.control = await s.pool.load(reference(o, o.controlMs));
      await measureWithStalled(s, o, row, stalledPool);
      return row;
    }, false, args);
  } finally {
    await stalledPool.close();
  }
}
