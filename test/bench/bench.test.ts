/**
 * The benchmark harness itself, on a tiny scenario against the real built server: the generator
 * connects, sends open-loop, and counts every delivery. `npm test` builds first, so dist/ is current.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../bench/report/markdown.js';
import type { BenchResults } from '../../bench/results.js';
import { ROOT } from '../helpers/server.js';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'bench-test-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench harness', () => {
  it('runs a tiny fanout against the built server and accounts for every delivery', async () => {
    const out = path.join(dir, 'result.json');
    await run(process.execPath, [
      path.join(ROOT, 'dist/bench/run.js'), '--scenarios', 'fanout', '--lanes', 'ours-ws,ours-tcp',
      '--members', '20', '--senders', '2', '--rate', '2000', '--warmup', '0.2', '--measure', '2',
      '--skip-docs', '--out', out,
    ], { timeout: 15_000 });
    const result = JSON.parse(readFileSync(out, 'utf8')) as {
      machine: { nproc: number; node: string };
      fanout: Array<{
        lane: string;
        fill: { ready: number; failed: number };
        load: { sent: number; delivered: number; expected: number; latency: { count: number; p50: number; p99: number; max: number } };
      }>;
    };
    expect(result.machine.nproc).toBeGreaterThan(0);
    expect(result.fanout.map((r) => r.lane)).toEqual(['ours-ws', 'ours-tcp']);
    for (const row of result.fanout) {
      expect(row.fill).toMatchObject({ ready: 20, failed: 0 });
      // 2000 deliveries/s to 20 members is 100 messages/s: about 200 in the 2 s window.
      expect(row.load.sent).toBeGreaterThan(150);
      expect(row.load.expected).toBe(row.load.sent * 20);
      expect(row.load.delivered).toBe(row.load.expected);
      expect(row.load.latency.count).toBe(row.load.delivered);
      expect(row.load.latency.p50).toBeLessThanOrEqual(row.load.latency.p99);
      expect(row.load.latency.p99).toBeLessThanOrEqual(row.load.latency.max);
    }
  }, 20_000);

  it('runs a tiny cluster lane: fan-out split into same-node and cross-node deliveries, then a node killed and every client back on the other', async () => {
    const out = path.join(dir, 'cluster.json');
    await run(process.execPath, [
      path.join(ROOT, 'dist/bench/run.js'), '--scenarios', 'fanout,failover', '--lanes', 'ours-tcp-r2',
      '--members', '20', '--senders', '2', '--rate', '2000', '--warmup', '0.2', '--measure', '1',
      '--failover-clients', '100', '--failover-rooms', '5', '--failover-lease', '3', '--skip-docs', '--out', out,
    ], { timeout: 120_000 });
    const result = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;
    const [fan] = result.fanout;
    expect(fan).toMatchObject({ lane: 'ours-tcp-r2', fill: { ready: 20, failed: 0 } });
    const load = fan!.load!;
    expect(load.sent).toBeGreaterThan(50);
    expect(load.delivered).toBe(load.expected);
    // Two senders, one per node, and ten members on each node: every message reaches ten of each.
    expect(load.latencySameNode!.count).toBe(load.delivered / 2);
    expect(load.latencyCrossNode!.count).toBe(load.delivered / 2);
    expect(fan!.cluster!.nodeCpuUs).toHaveLength(2);
    expect(fan!.cluster!.redisCpuUs).toBeGreaterThan(0);

    const [fo] = result.failover!;
    expect(fo).toMatchObject({ lane: 'ours-tcp-r2', ready: 100, leaseSec: 3 });
    const r = fo!.result!;
    expect(r).toMatchObject({ clients: 100, disconnected: 100, back: 100, withGap: 0, missingSeqs: 0, timedOut: false });
    // The burst of 60 a room is past the 50 messages a join returns: every client paged history.
    expect(r.historyPages).toBeGreaterThanOrEqual(100);
    expect(r.convergedMs).not.toBeNull();
    expect(fo!.recoveredMs).toBe(Math.max(r.allBackMs!, r.convergedMs!));
  }, 120_000);

  it('runs a tiny idle scenario: connections held, memory sampled, existing clients measured alone and during the fill', async () => {
    const out = path.join(dir, 'idle.json');
    await run(process.execPath, [
      path.join(ROOT, 'dist/bench/run.js'), '--scenarios', 'idle', '--lanes', 'ours-tcp', '--idle-conns', '200',
      '--skip-docs', '--out', out,
    ], { timeout: 20_000 });
    type Probe = { sent: number; delivered: number; expected: number; latency: { count: number } };
    const result = JSON.parse(readFileSync(out, 'utf8')) as {
      idle: Array<{ lane: string; ready: number; failed: number; handshakesPerSec: number; rssAfterMb: number; probeAlone: Probe; probeDuring: Probe }>;
    };
    const [row] = result.idle;
    expect(row).toMatchObject({ lane: 'ours-tcp', ready: 200, failed: 0 });
    expect(row!.handshakesPerSec).toBeGreaterThan(0);
    expect(row!.rssAfterMb).toBeGreaterThan(0);
    // 20 messages/s to a room of 100 for 1.5 s alone and 3 s during: about 30 and 60 messages.
    for (const probe of [row!.probeAlone, row!.probeDuring]) {
      expect(probe.sent).toBeGreaterThan(15);
      expect(probe.expected).toBe(probe.sent * 100);
      expect(probe.delivered).toBe(probe.expected);
      expect(probe.latency.count).toBe(probe.delivered);
    }
    expect(row!.probeDuring.sent).toBeGreaterThan(row!.probeAlone.sent);
  }, 25_000);

  it('runs a tiny slow scenario: the server drops the stalled readers and the fast ones get everything', async () => {
    const out = path.join(dir, 'slow.json');
    // 1,000 messages/s of 4,000 characters fill a stalled reader's kernel buffers and a 64 KiB bound in about a second.
    await run(process.execPath, [
      path.join(ROOT, 'dist/bench/run.js'), '--scenarios', 'slow', '--slow-fast', '10', '--slow-stalled', '20', '--senders', '2',
      '--slow-rate', '1000', '--slow-text', '4000', '--slow-load', '3', '--slow-buffer', '65536', '--slow-alone', '0.5',
      '--slow-after', '0', '--skip-docs', '--out', out,
    ], { timeout: 20_000 });
    const result = JSON.parse(readFileSync(out, 'utf8')) as {
      slow: Array<{
        lane: string;
        fastReady: number;
        stalledReady: number;
        dropped: number;
        allDroppedSec: number | null;
        rssPeakMb: number;
        load: { sent: number; delivered: number; expected: number; dropped: number };
      }>;
    };
    // All lanes were asked for; only ours have a slow-consumer bound to measure.
    expect(result.slow.map((r) => r.lane)).toEqual(['ours-ws', 'ours-tcp']);
    for (const row of result.slow) {
      expect(row).toMatchObject({ fastReady: 10, stalledReady: 20, dropped: 20 });
      expect(row.allDroppedSec).not.toBeNull();
      expect(row.allDroppedSec!).toBeLessThan(3);
      expect(row.rssPeakMb).toBeGreaterThan(0);
      expect(row.load.sent).toBeGreaterThan(2500);
      expect(row.load.expected).toBe(row.load.sent * 10);
      expect(row.load.delivered).toBe(row.load.expected);
      expect(row.load.dropped).toBe(0);
    }
  }, 25_000);

  it('runs a tiny attacks scenario: the bystander alone, then under two attacks, with every ping accounted for and one row each', async () => {
    const out = path.join(dir, 'attacks.json');
    await run(process.execPath, [
      path.join(ROOT, 'dist/bench/run.js'), '--scenarios', 'attacks', '--lanes', 'ours-tcp', '--attacks', 'dm-victim,free-input',
      '--attack-alone', '1', '--attack-seconds', '1.5', '--skip-docs', '--out', out,
    ], { timeout: 40_000 });
    const result = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;
    const rows = result.attacks!;
    expect(rows.map((r) => r.attack)).toEqual(['none', 'dm-victim', 'free-input']);
    for (const row of rows) {
      // 10 pings a second for at least a second each window, every one answered and timed.
      expect(row.bystander.sent).toBeGreaterThanOrEqual(8);
      expect(row.bystander.answered).toBe(row.bystander.sent);
      expect(row.bystander.rtt.count).toBe(row.bystander.answered);
      expect(row.bystander).toMatchObject({ refused: 0, dropped: null });
      expect(row.bystander.rtt.p50).toBeLessThanOrEqual(row.bystander.rtt.p99);
      expect(row.bystander.rtt.p99).toBeLessThanOrEqual(row.bystander.rtt.max);
      expect(row.rssPeakMb).toBeGreaterThan(0);
      expect(row.paced).not.toBeNull();
    }
    expect(rows[0]!.outcome).toBeNull();
    const dm = rows[1]!.outcome!;
    // Ten senders at 19/s for 1.5 s, the victim still connected at the end. Senders from one address past
    // its 8 unregistered sockets are refused at first and connect again, so there may be more than ten.
    expect(dm.connections).toBeGreaterThanOrEqual(10);
    expect(dm.requests).toBeGreaterThan(100);
    expect(dm.victimDropped).toBeNull();
    expect(dm.victimReceived).toBeGreaterThan(0);
    const free = rows[2]!.outcome!;
    expect(free.connections).toBe(3);
    expect(free.requests).toBeGreaterThan(3);

    const md = renderMarkdown(result);
    const section = md.slice(md.indexOf('## attacks: a bystander under each attack'));
    expect(section.length).toBeGreaterThan(0);
    const tableRows = section.split('\n').filter((l) => /^\| (none|dm-victim|free-input)/.test(l));
    expect(tableRows.map((l) => l.split(' | ')[0])).toEqual(['| none (alone)', '| dm-victim', '| free-input']);
    expect(md).toMatch(/\| bystander p99 under attack ≤ 2× alone \(issue 8\) \|[^\n]*\| (met|missed) \|/);
  }, 45_000);
});
