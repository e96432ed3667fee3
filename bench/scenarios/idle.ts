/**
 * idle: N connections registered and held: server memory per connection and set-ups per second, and
 * what the fill does to clients already chatting (a small room measured alone, then during the fill).
 */
import type { Percentiles } from '../gen/histogram.js';
import { GeneratorPool, type LoadResult } from '../gen/pool.js';
import { portsOf, type Lane } from '../lanes.js';
import { sampleProcess, type ProcSample } from '../targets/proc-stats.js';
import { withSession } from './session.js';

/** The existing clients: a room this size with two senders at this many messages/s in all. */
const PROBE_MEMBERS = 100;
const PROBE_MSG_RATE = 20;
const PROBE_ROOM = '#probe';
/** How long the probe is measured alone, and from the start of the fill. */
const PROBE_ALONE_MS = 1500;
const PROBE_DURING_MS = 3000;

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
  /** The existing clients' room alone and during the fill; null on a server without rooms. */
  probeAlone: LoadResult | null;
  probeDuring: LoadResult | null;
  /**
   * Cluster lanes: per node, its connections and RSS growth per connection (rssPerConnKb above is the sum of
   * the nodes' growth over all connections), and Redis's used_memory growth per session (INFO memory).
   */
  cluster?: { nodeConns: number[]; nodeRssPerConnKb: number[]; redisUsedBefore: number; redisUsedAfter: number; redisBytesPerSession: number };
}

const SETTLE_MS = 1000;

export async function runIdle(lane: Lane, o: IdleOptions): Promise<IdleRow> {
  // The tutorial server has no rooms: its probe messages would go to every idle connection too.
  const probe = lane.target === 'ws-tutorial' ? null : new GeneratorPool(1);
  try {
    return await withSession(lane, o.connections + (probe ? PROBE_MEMBERS : 0), o.procs, async (s) => {
      let probeAlone: LoadResult | null = null;
      if (probe) {
        await probe.connect({
          transport: lane.transport, port: portsOf(lane, s.target), count: PROBE_MEMBERS, rooms: [PROBE_ROOM],
          nickPrefix: 'p', concurrency: lane.connectConcurrency, timeoutMs: o.setupTimeoutMs,
        });
        probeAlone = await probe.load(probeLoad(PROBE_ALONE_MS));
      }
      await new Promise((r) => setTimeout(r, 300));
      const pids = s.target.nodes ? s.target.nodes.map((n) => n.pid) : [s.target.pid];
      const redisUsed = async () => (await s.target.redis?.info('memory'))?.used_memory ?? 0;
      const redisBefore = await redisUsed();
      const beforeNodes = pids.map(sampleProcess);
      const before = sum(beforeNodes);
      const procs = s.pool.processes;
      const during = probe?.load(probeLoad(PROBE_DURING_MS));
      const fill = await s.pool.connect({
        transport: lane.transport, port: portsOf(lane, s.target), count: o.connections, rooms: [], nickPrefix: 'i',
        concurrency: lane.connectConcurrency, timeoutMs: o.setupTimeoutMs,
        localAddresses: o.spreadSources ? Array.from({ length: procs }, (_, i) => [`127.0.0.${2 + i}`]) : undefined,
      });
      const probeDuring = (await during) ?? null;
      // Let announcements and buffers settle so RSS reflects connections at rest.
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const afterNodes = pids.map(sampleProcess);
      const after = sum(afterNodes);
      const redisAfter = await redisUsed();
      // Connection i went to node i % nodes (the generator's round-robin).
      const nodeConns = pids.map((_, k) => Math.floor(fill.ready / pids.length) + (k < fill.ready % pids.length ? 1 : 0));
      const cluster = s.target.nodes ? {
        nodeConns,
        nodeRssPerConnKb: afterNodes.map((a, k) => (nodeConns[k]! > 0 ? Math.round(((a.rssKb - beforeNodes[k]!.rssKb) / nodeConns[k]!) * 100) / 100 : 0)),
        redisUsedBefore: redisBefore, redisUsedAfter: redisAfter,
        redisBytesPerSession: fill.ready > 0 ? Math.round((redisAfter - redisBefore) / fill.ready) : 0,
      } : undefined;
      return {
        ...(cluster ? { cluster } : {}),
        lane: lane.id, requested: o.connections, ready: fill.ready, failed: fill.failed, firstError: fill.firstError,
        elapsedMs: Math.round(fill.elapsedMs), handshakesPerSec: fill.elapsedMs > 0 ? Math.round(fill.ready / (fill.elapsedMs / 1000)) : 0,
        handshake: fill.handshake,
        rssBeforeMb: Math.round(before.rssKb / 102.4) / 10, rssAfterMb: Math.round(after.rssKb / 102.4) / 10,
        rssPerConnKb: fill.ready > 0 ? Math.round(((after.rssKb - before.rssKb) / fill.ready) * 100) / 100 : 0,
        probeAlone, probeDuring,
      };
    });
  } finally {
    await probe?.close();
  }
}

function sum(samples: ProcSample[]): ProcSample {
  return { cpuUs: samples.reduce((a, x) => a + x.cpuUs, 0), rssKb: samples.reduce((a, x) => a + x.rssKb, 0), wallMs: samples[0]!.wallMs };
}

function probeLoad(measureMs: number) {
  return { msgRate: PROBE_MSG_RATE, senders: 2, warmupMs: 0, measureMs };
}
