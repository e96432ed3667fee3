/**
 * The `ours-irc` bench lane (issue 11): our built server with --irc-port, driven by the IRC generator that
 * drives ngIRCd, and the two targets judged from one run's rows.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../bench/report/markdown.js';
import { checkIrcTargets } from '../../bench/report/targets.js';
import type { BenchResults } from '../../bench/results.js';
import type { IdleRow } from '../../bench/scenarios/idle.js';
import type { SaturateRow } from '../../bench/scenarios/saturate.js';
import { ROOT } from '../helpers/server.js';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'bench-irc-test-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function results(saturate: Array<Partial<SaturateRow>>, idle: Array<Partial<IdleRow>>): BenchResults {
  return {
    startedAt: '2025-01-01T00:00:00.000Z', durationSec: 1, command: 'npm run bench', notes: [],
    machine: { nproc: 2, memGiB: 1, cpu: 'test', node: 'v20', kernel: '6', openFilesLimit: 1024, loadAvg1: 0 },
    fanout: [], fanoutLarge: [], ingest: [], slow: [],
    saturate: saturate.map((s) => ({ members: 1000, senders: 10, fillReady: 1000, held: null, stopReason: 'x', steps: [], ...s }) as SaturateRow),
    idle: idle.map((i) => ({ ready: 100, ...i }) as IdleRow),
  };
}

const held = (deliveriesPerSec: number) => ({ deliveriesPerSec, offeredRate: deliveriesPerSec, p99: 10 });

describe('ours-irc bench lane', () => {
  it('fills a room over IRC, delivers every message to every member but its sender, and holds idle IRC connections', async () => {
    const out = path.join(dir, 'irc.json');
    await run(process.execPath, [
      path.join(ROOT, 'dist/bench/run.js'), '--scenarios', 'fanout,idle', '--lanes', 'ours-tcp,ours-irc',
      '--members', '20', '--senders', '2', '--rate', '1900', '--warmup', '0.2', '--measure', '1', '--idle-conns', '200',
      '--skip-docs', '--out', out,
    ], { timeout: 50_000 });
    const result = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;
    const fan = result.fanout.find((r) => r.lane === 'ours-irc')!;
    expect(fan.fill).toMatchObject({ ready: 20, failed: 0 });
    const load = fan.load!;
    // 1900 deliveries/s to the 19 others is 100 messages/s: about 100 in the 1 s window. IRC does not echo.
    expect(load.sent).toBeGreaterThan(70);
    expect(load.expected).toBe(load.sent * 19);
    expect(load.delivered).toBe(load.expected);
    expect(load.latency.count).toBe(load.delivered);
    const idle = result.idle.find((r) => r.lane === 'ours-irc')!;
    expect(idle).toMatchObject({ ready: 200, failed: 0 });
    expect(idle.probeAlone!.delivered).toBe(idle.probeAlone!.expected);
    expect(idle.probeAlone!.expected).toBe(idle.probeAlone!.sent * 99);

    const md = renderMarkdown(result);
    expect(md).toContain('## Targets (issue 11, IRC listener)');
    expect(md).toMatch(/\| idle memory per registered IRC connection \| ≤ ours-tcp's \(same run\) \| ours-irc [\d.]+ KB × 200; ours-tcp [\d.]+ KB × 200 \| (met|missed) \|/);
    expect(md).toMatch(/\| IRC fan-out: highest rate held \|[^\n]*\| — \| not measured \|/);
  }, 60_000);

  it('judges fan-out against ngIRCd\'s highest held rate in the same run', () => {
    const [tie] = checkIrcTargets(results([{ lane: 'ours-irc', held: held(200_000) }, { lane: 'ngircd', held: held(200_000) }], []));
    expect(tie!.status).toBe('met');
    const [below] = checkIrcTargets(results([{ lane: 'ours-irc', held: held(100_000) }, { lane: 'ngircd', held: held(200_000) }], []));
    expect(below!.status).toBe('missed');
    expect(below!.measured).toContain('ours-irc 100k/s');
    expect(below!.measured).toContain('ngIRCd 200k/s');
    const [noneHeld] = checkIrcTargets(results([{ lane: 'ours-irc', held: null, stopReason: 'p99 900 ms at 12500/s' }, { lane: 'ngircd', held: held(12_000) }], []));
    expect(noneHeld!.status).toBe('missed');
    expect(noneHeld!.measured).toContain('none held (stopped: p99 900 ms at 12500/s)');
    const [alone] = checkIrcTargets(results([{ lane: 'ours-irc', held: held(100_000) }], []));
    expect(alone!.status).toBe('not measured');
    // A room of another size is not the same room.
    const [otherRoom] = checkIrcTargets(results([{ lane: 'ours-irc', held: held(100_000) }, { lane: 'ngircd', members: 10, held: held(1) }], []));
    expect(otherRoom!.status).toBe('not measured');
  });

  it('judges idle memory per IRC connection against our TCP lane\'s', () => {
    const idle = (irc: number, tcp: number, ready = 100) => checkIrcTargets(results([], [
      { lane: 'ours-tcp', rssPerConnKb: tcp }, { lane: 'ours-irc', rssPerConnKb: irc, ready }, { lane: 'ngircd', rssPerConnKb: 2 },
    ]))[1]!;
    expect(idle(5, 5).status).toBe('met');
    expect(idle(5.5, 5).status).toBe('missed');
    expect(idle(5.5, 5).measured).toBe('ours-irc 5.5 KB × 100; ours-tcp 5 KB × 100 (ngIRCd 2 KB)');
    // No connection registered: nothing was held, whatever the arithmetic says.
    expect(idle(0, 5, 0).status).toBe('missed');
    expect(checkIrcTargets(results([], [{ lane: 'ours-irc', rssPerConnKb: 1 }]))[1]!.status).toBe('not measured');
  });
});
