/**
 * `npm run bench`: runs the selected scenarios against our server and the baselines, lane by lane in
 * one run, then writes bench/results/*.json and regenerates docs/benchmarks.md and its chart.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeMachine } from './machine.js';
import { LANES, isOursSingle, laneUnavailable, setBeforeDist, type Lane } from './lanes.js';
import { HELP, parseOptions, type Options } from './options.js';
import { ROOT } from './paths.js';
import { latencyChart, type Series } from './report/svg-chart.js';
import { renderMarkdown } from './report/markdown.js';
import type { BenchResults } from './results.js';
import { runAttacks } from './scenarios/attacks.js';
import { runFailover } from './scenarios/failover.js';
import { runFanout } from './scenarios/fanout.js';
import { runIdle } from './scenarios/idle.js';
import { runIngest } from './scenarios/ingest.js';
import { runSaturate } from './scenarios/saturate.js';
import { runSlow } from './scenarios/slow.js';
import { maxServerConnections } from './scenarios/session.js';

const COLORS: Record<string, string> = {
  'ours-ws': '#1f77b4', 'ours-tcp': '#2ca02c', 'ours-irc': '#e7ba52', 'ws-tutorial': '#d62728', ngircd: '#9467bd',
  'ours-ws-before': '#7f7f7f', 'ours-tcp-before': '#bcbd22', 'ours-ws-r1': '#ff7f0e', 'ours-ws-r2': '#8c564b',
  'ours-tcp-r1': '#e377c2', 'ours-tcp-r2': '#17becf',
};
/**
 * Up to this many connections come from 127.0.0.1 with no bind (Linux offers ~28,000 ephemeral ports
 * per destination). Beyond it each generator binds its own 127.0.0.x first, and a bind to port 0
 * searches the whole port space each time: at 19,800 that made the fill four times slower.
 */
const PER_SOURCE = 25_000;

function log(msg: string): void {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

/** Runs `fn` on each available lane; a lane that fails is noted and the others go on. */
async function eachLane<T>(o: Options, notes: string[], what: string, fn: (lane: Lane) => Promise<T>): Promise<T[]> {
  const rows: T[] = [];
  for (const lane of LANES.filter((l) => o.lanes.includes(l.id))) {
    const why = laneUnavailable(lane);
    if (why) {
      if (!notes.includes(why)) notes.push(why);
      continue;
    }
    log(`${what}: ${lane.id}`);
    try {
      rows.push(await fn(lane));
    } catch (err) {
      const msg = `${what} on ${lane.id} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
      log(msg);
      notes.push(msg);
    }
  }
  return rows;
}

function chart(r: BenchResults): string {
  const series: Series[] = r.saturate.flatMap((s) => [
    { label: `${s.lane} p99`, color: COLORS[s.lane] ?? '#555', dashed: false, points: s.steps.map((st) => [st.offeredRate, st.p99] as [number, number]) },
    { label: `${s.lane} p50`, color: COLORS[s.lane] ?? '#555', dashed: true, points: s.steps.map((st) => [st.offeredRate, st.p50] as [number, number]) },
  ]);
  const members = r.saturate[0]?.members ?? 0;
  return latencyChart(`Fan-out latency, ${members.toLocaleString('en-US')}-member room (ours vs baselines)`, series);
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  if (o.help) {
    console.log(HELP);
    return;
  }
  const started = Date.now();
  setBeforeDist(o.beforeDist);
  const notes: string[] = [];
  if (o.beforeDist && o.lanes.some((l) => l.endsWith('-before'))) notes.push(`The -before lanes ran the server built in ${o.beforeDist}.`);
  const cap = maxServerConnections();
  const capped = (n: number, what: string) => {
    if (n <= cap) return n;
    notes.push(`${what}: ${n} requested, capped at ${cap} by the open-files limit (ulimit -n ${cap + 200}; Node cannot raise it)`);
    return cap;
  };
  const members = capped(o.members, 'fanout members');
  const results: BenchResults = {
    startedAt: new Date(started).toISOString(),
    durationSec: 0,
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    measureMs: o.measureMs,
    machine: describeMachine(),
    notes,
    fanout: [], fanoutLarge: [], saturate: [], idle: [], ingest: [], slow: [], attacks: [], failover: [],
  };
  const base = { senders: o.senders, warmupMs: o.warmupMs, measureMs: o.measureMs, procs: o.procs, setupTimeoutMs: o.setupTimeoutMs };

  if (o.scenarios.includes('fanout')) {
    results.fanout = await eachLane(o, notes, `fanout ${members}`, (l) => runFanout(l, { ...base, members, rate: o.rate }));
    if (o.large) {
      const large = capped(o.largeMembers, 'large fanout members');
      results.fanoutLarge = await eachLane(o, notes, `fanout ${large}`, (l) => runFanout(l, { ...base, members: large, rate: o.largeRate }));
    }
  }
  if (o.scenarios.includes('saturate')) {
    results.saturate = await eachLane(o, notes, `saturate ${members}`, (l) => runSaturate(l, {
      ...base, members, startRate: o.saturateStart, factor: o.saturateFactor, maxRate: o.saturateMax,
    }));
  }
  if (o.scenarios.includes('idle')) {
    const n = capped(Math.min(o.idleConns, 100_000), 'idle connections');
    results.idle = await eachLane(o, notes, `idle ${n}`, (l) => runIdle(l, {
      connections: n, procs: o.procs, setupTimeoutMs: o.setupTimeoutMs, spreadSources: n > PER_SOURCE,
    }));
  }
  if (o.scenarios.includes('ingest')) {
    const ingest = { senders: o.ingestSenders, rooms: o.ingestRooms, rate: o.ingestRate, warmupMs: o.warmupMs, measureMs: o.measureMs,
      procs: o.procs, setupTimeoutMs: o.setupTimeoutMs };
    // A cluster lane runs once per Redis appendfsync asked for; a failed run is noted and the next goes on.
    const rows = await eachLane(o, notes, 'ingest', async (l) => {
      if (!l.nodes) return [await runIngest(l, ingest)];
      const out = [];
      for (const appendfsync of o.ingestFsync) {
        try {
          out.push(await runIngest(l, { ...ingest, appendfsync }));
        } catch (err) {
          notes.push(`ingest on ${l.id} (appendfsync ${appendfsync}) failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
        }
      }
      return out;
    });
    results.ingest = rows.flat();
  }
  if (o.scenarios.includes('slow')) {
    const ours = o.lanes.filter(isOursSingle);
    const stalled = capped(o.slowStalled, 'slow stalled readers');
    const fast = Math.max(1, Math.min(o.slowFast, cap - stalled));
    results.slow = await eachLane({ ...o, lanes: ours }, notes, `slow ${fast}+${stalled}`, (l) => runSlow(l, {
      fast, stalled, senders: Math.min(o.senders, fast), msgRate: o.slowRate, textLen: o.slowText, loadMs: o.slowLoadMs,
      controlMs: o.slowAloneMs, afterMs: o.slowAfterMs, maxBufferedBytes: o.slowBuffer, procs: o.procs, setupTimeoutMs: o.setupTimeoutMs,
    }));
  }
  if (o.scenarios.includes('attacks') && o.lanes.some((l) => l.startsWith('ours'))) {
    log(`attacks: ${o.attacks.join(', ')}`);
    try {
      results.attacks = await runAttacks({ attacks: o.attacks, aloneMs: o.attackAloneMs, attackMs: o.attackMs }, notes);
    } catch (err) {
      const msg = `attacks failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
      log(msg);
      notes.push(msg);
    }
  }
  if (o.scenarios.includes('failover')) {
    const pairs = o.lanes.filter((id) => (LANES.find((l) => l.id === id)?.nodes ?? 1) >= 2);
    const clients = capped(o.failoverClients, 'failover clients');
    results.failover = await eachLane({ ...o, lanes: pairs }, notes, `failover ${clients}`, (l) => runFailover(l, {
      clients, rooms: o.failoverRooms, msgRate: o.failoverRate, burstPerRoom: o.failoverBurst, leaseSec: o.failoverLeaseSec,
      retryMs: o.failoverRetryMs, steadyMs: 1000, recoverTimeoutMs: o.failoverTimeoutMs, setupTimeoutMs: o.setupTimeoutMs,
    }));
  }
  const saturated = [...results.fanout, ...results.fanoutLarge, ...results.ingest, ...results.slow].some((r) => r.load?.generatorSaturated)
    || results.saturate.some((s) => s.steps.some((st) => st.generatorSaturated && st.held));
  if (saturated) notes.push('A generator process was saturated (> 90 % of a core) in some measurement: those figures bound the server from below.');
  results.durationSec = (Date.now() - started) / 1000;
  const [load1] = os.loadavg();
  notes.push(`Load average (1 min) ${results.machine.loadAvg1.toFixed(2)} at the start and ${load1!.toFixed(2)} at the end on ${results.machine.nproc} cores: above the core count, other work shared the machine and latencies are inflated.`);

  const out = o.out ?? path.join(ROOT, 'bench/results', `${results.startedAt.replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  const md = renderMarkdown(results);
  if (!o.skipDocs) {
    writeFileSync(path.join(ROOT, 'docs/benchmarks.md'), md);
    if (results.saturate.length) writeFileSync(path.join(ROOT, 'docs/bench-latency.svg'), chart(results));
  }
  console.log(md);
  log(`results: ${out}${o.skipDocs ? '' : '; docs/benchmarks.md updated'}`);
}

process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));
main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
