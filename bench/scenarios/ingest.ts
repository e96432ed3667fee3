/** ingest: many senders in many rooms, every say with a ref: acked (stored) messages per second. */
import type { LoadResult } from '../gen/pool.js';
import { portsOf, type Lane } from '../lanes.js';
import type { AppendFsync } from '../targets/redis.js';
import { ServerMeter, withSession, type ClusterWindow } from './session.js';

export interface IngestOptions {
  senders: number;
  rooms: number;
  /** Offered messages per second over all senders. */
  rate: number;
  warmupMs: number;
  measureMs: number;
  procs: number;
  setupTimeoutMs: number;
  /** Cluster lanes: Redis's appendfsync for this run. */
  appendfsync?: AppendFsync;
}

export interface IngestRow {
  lane: string;
  senders: number;
  rooms: number;
  offeredRate: number;
  ready: number;
  /** Whether acks mean durably stored (ours), sent without storage (tutorial), or absent (IRC). */
  ackKind: 'durable' | 'not stored' | 'none';
  load: LoadResult | null;
  storedPerSec: number | null;
  serverLagP99Ms: number | null;
  serverCpuUsPerMessage: number | null;
  /** Cluster lanes: Redis's appendfsync, and each node's and Redis's share of the server CPU. */
  appendfsync?: AppendFsync;
  cluster?: ClusterWindow;
}

export async function runIngest(lane: Lane, o: IngestOptions): Promise<IngestRow> {
  return withSession(lane, o.senders, o.procs, async (s) => {
    const rooms = Array.from({ length: o.rooms }, (_, i) => `#ingest${i}`);
    const fill = await s.pool.connect({
      transport: lane.transport, port: portsOf(lane, s.target), count: o.senders, rooms, nickPrefix: 's',
      concurrency: lane.connectConcurrency, timeoutMs: o.setupTimeoutMs,
    });
    // IRC has no acks (ours over IRC acks internally but says nothing to a client without echo-message).
    const ackKind = lane.transport === 'irc' ? 'none' : lane.target === 'ws-tutorial' ? 'not stored' : 'durable';
    const row: IngestRow = {
      lane: lane.id, senders: o.senders, rooms: o.rooms, offeredRate: o.rate, ready: fill.ready, ackKind,
      load: null, storedPerSec: null, serverLagP99Ms: null, serverCpuUsPerMessage: null,
    };
    if (fill.ready < 1) return row;
    const meter = new ServerMeter(s.target);
    const load = await s.pool.load({
      msgRate: o.rate, senders: fill.ready, warmupMs: o.warmupMs, measureMs: o.measureMs, withRef: ackKind !== 'none',
    }, meter.hooks);
    const server = await meter.result();
    row.load = load;
    row.storedPerSec = ackKind === 'durable' ? Math.round(load.acksPerSec) : null;
    row.serverLagP99Ms = server.lagP99Ms;
    row.serverCpuUsPerMessage = load.sent > 0 ? Math.round((server.cpuUs / load.sent) * 10) / 10 : null;
    if (server.cluster) {
      row.cluster = server.cluster;
      row.appendfsync = s.target.redis?.appendfsync;
    }
    return row;
  }, false, [], { appendfsync: o.appendfsync });
}
