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
});
