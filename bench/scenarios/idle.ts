/** idle: N connections registered and held: server memory per connection and set-ups per second. */
import type { Percentiles } from '../gen/histogram.js';
import { portOf, type Lane } from '../lanes.js';
import { sampleProcess } from '../targets/proc-stats.js';
import { withSession } from './session.js';

export interface IdleOptions {
  connections: number;
  procs: number;
  setupTimeoutMs: number;
  /** Source addresses 127.0.0.2.. per generator process, to spread ephemeral ports. */
  spreadSources: boolean;
}

export interface IdleRow {
  lane: string;
  requested: number;
  ready: number;
  failed: number;
  firstError: string | null;
  elapsedMs: number;
  handshakesPerSec: number;
  handshake: Percentiles;
  rssBeforeMb: number;
  rssAfterMb: number;
  rssPerConnKb: number;
}

const SETTLE_MS = 1000;

export async function runIdle(lane: Lane, o: IdleOptions): Promise<IdleRow> {
  return withSession(lane, o.connections, o.procs, async (s) => {
    await new Promise((r) => setTimeout(r, 300));
    const before = sampleProcess(s.target.pid);
    const procs = s.pool.processes;
    const fill = await s.pool.connect({
      transport: lane.transport, port: portOf(lane, s.target), count: o.connections, rooms: [], nickPrefix: 'i',
      concurrency: lane.connectConcurrency, timeoutMs: o.setupTimeoutMs,
      localAddresses: o.spreadSources ? Array.from({ length: procs }, (_, i) => [`127.0.0.${2 + i}`]) : undefined,
    });
    // Let announcements and buffers settle so RSS reflects connections at rest.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const after = sampleProcess(s.target.pid);
    return {
      lane: lane.id, requested: o.connections, ready: fill.ready, failed: fill.failed, firstError: fill.firstError,
      elapsedMs: Math.round(fill.elapsedMs), handshakesPerSec: fill.elapsedMs > 0 ? Math.round(fill.ready / (fill.elapsedMs / 1000)) : 0,
      handshake: fill.handshake,
      rssBeforeMb: Math.round(before.rssKb / 102.4) / 10, rssAfterMb: Math.round(after.rssKb / 102.4) / 10,
      rssPerConnKb: fill.ready > 0 ? Math.round(((after.rssKb - before.rssKb) / fill.ready) * 100) / 100 : 0,
    };
  });
}
