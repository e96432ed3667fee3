/** saturate: fanout at rising offered rates until p99 > 250 ms or fewer than 99 % are delivered. */
import type { Lane } from '../lanes.js';
import { fillRoom, measureFanout, type FanoutOptions } from './fanout.js';
import { withSession, type ClusterWindow } from './session.js';

export const HELD_P99_MS = 250;
export const HELD_DELIVERED = 0.99;

export interface SaturateOptions extends Omit<FanoutOptions, 'rate'> {
  startRate: number;
  factor: number;
  maxRate: number;
}

export interface SaturateStep {
  offeredRate: number;
  deliveriesPerSec: number;
  deliveredRatio: number;
  p50: number;
  p99: number;
  max: number;
  serverCpuUsPerDelivery: number | null;
  generatorCpu: number[];
  generatorSaturated: boolean;
  held: boolean;
  /** On a cluster lane: same-node and cross-node p50 / p99, and each node's and Redis's CPU. */
  sameNode?: { p50: number; p99: number };
  crossNode?: { p50: number; p99: number };
  cluster?: ClusterWindow;
}

export interface SaturateRow {
  lane: string;
  members: number;
  senders: number;
  fillReady: number;
  /** The highest deliveries per second held, and at what latency; null when even the first step failed. */
  held: { deliveriesPerSec: number; offeredRate: number; p99: number } | null;
  stopReason: string;
  steps: SaturateStep[];
}

export async function runSaturate(lane: Lane, o: SaturateOptions): Promise<SaturateRow> {
  return withSession(lane, o.members, o.procs, async (s) => {
    const fill = await fillRoom(s, o);
    const row: SaturateRow = {
      lane: lane.id, members: o.members, senders: o.senders, fillReady: fill.ready, held: null, stopReason: '', steps: [],
    };
    if (fill.ready < 2) {
      row.stopReason = `room not filled: ${fill.firstError ?? 'unknown'}`;
      return row;
    }
    for (let rate = o.startRate; ; rate = Math.round(rate * o.factor)) {
      if (rate > o.maxRate) {
        row.stopReason = `reached the highest offered rate (${o.maxRate})`;
        break;
      }
      const { load, cpuUsPerDelivery, server } = await measureFanout(s, { ...o, rate }, fill.ready, rate);
      const died = s.target.failure();
      if (died) {
        row.stopReason = `server ${died}`;
        break;
      }
      const held = load.latency.p99 <= HELD_P99_MS && load.deliveredRatio >= HELD_DELIVERED && load.dropped === 0;
      row.steps.push({
        offeredRate: rate, deliveriesPerSec: Math.round(load.deliveriesPerSec), deliveredRatio: load.deliveredRatio,
        p50: load.latency.p50, p99: load.latency.p99, max: load.latency.max, serverCpuUsPerDelivery: cpuUsPerDelivery,
        generatorCpu: load.generatorCpu, generatorSaturated: load.generatorSaturated, held,
        ...(load.latencySameNode && load.latencyCrossNode ? {
          sameNode: { p50: load.latencySameNode.p50, p99: load.latencySameNode.p99 },
          crossNode: { p50: load.latencyCrossNode.p50, p99: load.latencyCrossNode.p99 },
        } : {}),
        ...(server.cluster ? { cluster: server.cluster } : {}),
      });
      if (!held) {
        row.stopReason = load.deliveredRatio < HELD_DELIVERED
          ? `delivered ${(load.deliveredRatio * 100).toFixed(1)} % at ${rate}/s`
          : `p99 ${load.latency.p99} ms at ${rate}/s`;
        if (load.generatorSaturated) row.stopReason += ' (generator saturated: a lower bound)';
        break;
      }
      row.held = { deliveriesPerSec: Math.round(load.deliveriesPerSec), offeredRate: rate, p99: load.latency.p99 };
    }
    return row;
  }, true);
}
