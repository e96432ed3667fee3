/** fanout: one room of N members, S senders at an aggregate offered rate of deliveries per second. */
import type { ConnectResult, LoadResult } from '../gen/pool.js';
import { portsOf, type Lane } from '../lanes.js';
import { ServerMeter, withSession, type ClusterWindow, type Session } from './session.js';

export const ROOM = '#bench';

export interface FanoutOptions {
  members: number;
  senders: number;
  /** Offered deliveries per second (messages per second × recipients). */
  rate: number;
  warmupMs: number;
  measureMs: number;
  procs: number;
  setupTimeoutMs: number;
}

export interface FanoutRow {
  lane: string;
  members: number;
  senders: number;
  offeredRate: number;
  fill: ConnectResult;
  load: LoadResult | null;
  serverCpuUsPerDelivery: number | null;
  serverRssMb: number;
  serverLagP99Ms: number | null;
  /** On a cluster lane: each node's and Redis's share of the server CPU. */
  cluster?: ClusterWindow;
}

/** Recipients of one message: IRC does not echo a message to its sender. */
export function recipients(s: Session, members: number): number {
  return s.lane.transport === 'irc' ? members - 1 : members;
}

export async function fillRoom(s: Session, o: Pick<FanoutOptions, 'members' | 'setupTimeoutMs'>): Promise<ConnectResult> {
  return s.pool.connect({
    transport: s.lane.transport, port: portsOf(s.lane, s.target), count: o.members, rooms: [ROOM],
    nickPrefix: 'b', concurrency: s.lane.connectConcurrency, timeoutMs: o.setupTimeoutMs,
  });
}

/** One measured load at `rate` on an already filled room. */
export async function measureFanout(s: Session, o: FanoutOptions, members: number, rate: number) {
  const meter = new ServerMeter(s.target);
  const load = await s.pool.load({
    msgRate: rate / Math.max(1, recipients(s, members)), senders: o.senders,
    warmupMs: o.warmupMs, measureMs: o.measureMs,
  }, meter.hooks);
  const server = await meter.result();
  const delivered = load.deliveriesPerSec * (o.measureMs / 1000);
  return { load, server, cpuUsPerDelivery: delivered > 0 ? Math.round((server.cpuUs / delivered) * 100) / 100 : null };
}

export async function runFanout(lane: Lane, o: FanoutOptions): Promise<FanoutRow> {
  return withSession(lane, o.members, o.procs, async (s) => {
    const fill = await fillRoom(s, o);
    const row: FanoutRow = {
      lane: lane.id, members: o.members, senders: o.senders, offeredRate: o.rate, fill, load: null,
      serverCpuUsPerDelivery: null, serverRssMb: 0, serverLagP99Ms: null,
    };
    if (fill.ready < 2) return row;
    const m = await measureFanout(s, o, fill.ready, o.rate);
    row.load = m.load;
    row.serverCpuUsPerDelivery = m.cpuUsPerDelivery;
    row.serverRssMb = m.server.rssMb;
    row.serverLagP99Ms = m.server.lagP99Ms;
    if (m.server.cluster) row.cluster = m.server.cluster;
    return row;
  });
}
