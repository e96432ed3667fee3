/**
 * `npm run soak`: the production build with its default limits, under churn of ordinary clients, the
 * attack report's attacks at their allowed rates, a moderator kicking and banning, and a bystander, all at once, for --minutes. Prints the
 * server's memory, descriptors, CPU and the bystander's p99 as it goes, then checks that every
 * acknowledged message is in history and that descriptors came back. Not part of `npm test`.
 */
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AttackOutcome } from './attacks/attack.js';
import { BystanderProcess, type BystanderSummary } from './attacks/bystander.js';
import { attackGroup, makeAttack, type AttackName } from './attacks/index.js';
import { AckLedger } from './attacks/ledger.js';
import { addressOf, sleep } from './attacks/wire.js';
import { describeMachine } from './machine.js';
import { ROOT } from './paths.js';
import type { Machine } from './results.js';
import { Churn, type ChurnStats } from './soak/churn.js';
import { Moderator, type ModeratorStats } from './soak/moderator.js';
import { SOAK_HELP, parseSoakOptions, type SoakOptions } from './soak/options.js';
import { renderSoak } from './soak/report.js';
import { verifyHistory, type HistoryCheck } from './soak/verify-history.js';
import { sampleProcess, scrapeLagP99Ms, scrapeMetric, type ProcSample } from './targets/proc-stats.js';
import { startOurs } from './targets/ours.js';

/** Address groups (127.g.x.y): the bystander, the history readers, the ordinary clients. */
const BYSTANDER_GROUP = 10;
const VERIFY_GROUP = 90;
const CHURN_GROUP = 100;
const MODERATOR_GROUP = 91;
/** Accounts the churn's account clients share (u0 … u99). */
const ACCOUNTS = 100;
/** Descriptors the server may hold after the run beyond what it held before it. */
const FD_SLACK = 3;
/** How long the server gets to close what the run left before descriptors are counted. */
const SETTLE_MS = 30_000;
/** The flood's stalled members are replaced this often, so some are always filling up. */
const LOBBY_CYCLE_MS = 30_000;

export interface SoakSample {
  atSec: number;
  rssMb: number;
  fds: number;
  cpuPct: number;
  lagP99Ms: number | null;
  clientsLive: number;
  saysAcked: number;
  bystanderSent: number;
  bystanderP99Ms: number;
  soakCpuPct: number;
}

export interface SoakResult {
  startedAt: string;
  command: string;
  machine: Machine;
  options: SoakOptions;
  durationSec: number;
  server: {
    rssStartMb: number;
    rssPeakMb: number;
    /** RSS over the second half of the load. */
    rssPlateauMb: [number, number];
    rssEndMb: number;
    fdsBefore: number;
    fdsDuring: [number, number];
    fdsAfter: number;
    cpuPct: [number, number];
    lagP99MaxMs: number | null;
    dbMb: number;
    slowConsumersDropped: number | null;
    rateLimited: number | null;
    inputPaused: number | null;
  };
  samples: SoakSample[];
  churn: ChurnStats;
  moderation: ModeratorStats;
  attacks: Array<{ name: AttackName; describe: string; outcome: AttackOutcome }>;
  bystander: BystanderSummary;
  history: HistoryCheck;
  failures: string[];
}

function log(msg: string): void {
  console.error(`[soak ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

function countFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/** The size of the server's data folder (its --data argument), in MB. */
function dataFolderMb(pid: number): number {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const dir = argv[argv.indexOf('--data') + 1]!;
    const bytes = readdirSync(dir).reduce((a, f) => a + statSync(path.join(dir, f)).size, 0);
    return Math.round(bytes / 1e5) / 10;
  } catch {
    return 0;
  }
}

const mb = (kb: number) => Math.round(kb / 102.4) / 10;
const clock = (ms: number) => `${String(Math.floor(ms / 60_000)).padStart(2, '0')}:${String(Math.floor(ms / 1000) % 60).padStart(2, '0')}`;

async function main(): Promise<number> {
  const o = parseSoakOptions(process.argv.slice(2));
  if (o.help) {
    console.log(SOAK_HELP);
    return 0;
  }
  const startedAt = new Date().toISOString();
  const command = `npm run soak${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  log(`${command}: ${o.minutes} min, ${o.concurrent} clients, attacks: ${o.attacks.join(', ') || 'none'}`);
  const target = await startOurs(0, [], { limits: 'default' });
  const failures: string[] = [];
  let bystander: BystanderProcess | null = null;
  try {
    const pid = target.pid;
    const ports = { wsPort: target.ports.ws!, tcpPort: target.ports.tcp! };
    await sleep(1000);
    const rssStart = sampleProcess(pid).rssKb;
    const fdsBefore = countFds(pid);
    log(`server pid ${pid}, ws ${ports.wsPort}, tcp ${ports.tcpPort}: RSS ${mb(rssStart)} MB, ${fdsBefore} fds`);

    const ledger = new AckLedger();
    bystander = await BystanderProcess.start(ports.tcpPort, { localAddress: addressOf(BYSTANDER_GROUP, 0) });
    const attacks = o.attacks.map((name) => ({
      name, attack: makeAttack(name, { ...ports, group: attackGroup(name), ledger, log }, { lobbyCycleMs: LOBBY_CYCLE_MS }),
    }));
    for (const a of attacks) {
      log(`preparing ${a.name}: ${a.attack.describe}`);
      await a.attack.prepare();
    }
    const rooms = Array.from({ length: o.rooms }, (_, i) => `#soak${i + 1}`);
    const churn = new Churn({ ...ports, concurrent: o.concurrent, rooms, ledger, group: CHURN_GROUP, accounts: ACCOUNTS });
    // The moderator owns every room (it joins them first) and kicks and bans churn clients as it goes.
    const moderator = new Moderator(ports.tcpPort, rooms, addressOf(MODERATOR_GROUP, 1));
    await moderator.start();

    const loadStart = performance.now();
    churn.start();
    for (const a of attacks) a.attack.start();
    const samples: SoakSample[] = [];
    let prev: ProcSample = sampleProcess(pid);
    let prevSelf = process.cpuUsage();
    let peakRss = rssStart;
    const endAt = loadStart + o.minutes * 60_000;
    while (performance.now() < endAt) {
      await sleep(Math.min(o.sampleMs, endAt - performance.now()));
      const died = target.failure();
      if (died) {
        failures.push(`the server ${died}`);
        break;
      }
      const s = sampleProcess(pid);
      const self = process.cpuUsage(prevSelf);
      const wallUs = (s.wallMs - prev.wallMs) * 1000;
      const b = await bystander.total();
      const sample: SoakSample = {
        atSec: Math.round((performance.now() - loadStart) / 1000),
        rssMb: mb(s.rssKb),
        fds: countFds(pid),
        cpuPct: Math.round(((s.cpuUs - prev.cpuUs) / wallUs) * 100),
        lagP99Ms: await scrapeLagP99Ms(target.metricsUrl),
        clientsLive: churn.stats.live,
        saysAcked: churn.stats.says.acked,
        bystanderSent: b.sent,
        bystanderP99Ms: b.rtt.p99,
        soakCpuPct: Math.round(((self.user + self.system) / wallUs) * 100),
      };
      peakRss = Math.max(peakRss, s.rssKb);
      prev = s;
      prevSelf = process.cpuUsage();
      samples.push(sample);
      log(`${clock(sample.atSec * 1000)} RSS ${sample.rssMb} MB, ${sample.fds} fds, CPU ${sample.cpuPct} %, lag p99 ${sample.lagP99Ms ?? 'n/a'} ms; `
        + `bystander p99 ${b.rtt.p99} ms over ${b.sent} pings${b.dropped ? ` (DROPPED: ${b.dropped})` : ''}; `
        + `${sample.clientsLive} clients, ${churn.stats.opened} opened, ${sample.saysAcked} says acked; soak CPU ${sample.soakCpuPct} %`);
    }
    const loadSec = (performance.now() - loadStart) / 1000;

    log('stopping the clients and the attacks');
    const churnStats = await churn.stop();
    const moderation = await moderator.stop();
    log(`moderation: ${moderation.kicks} kicks, ${moderation.bans} bans; accounts: ${churnStats.accounts.loggedIn} logins, `
      + `${churnStats.accounts.registered} registered, ${churnStats.accounts.asGuest} fell back to a guest nick`);
    const outcomes = [];
    for (const a of attacks) outcomes.push({ name: a.name, describe: a.attack.describe, outcome: await a.attack.stop() });
    const bys = await bystander.stop();
    bystander = null;
    const counters = {
      slowConsumersDropped: await scrapeMetric(target.metricsUrl, 'chat_slow_consumers_dropped_total'),
      rateLimited: await scrapeMetric(target.metricsUrl, 'chat_rate_limited_total'),
      inputPaused: await scrapeMetric(target.metricsUrl, 'chat_input_paused_total'),
    };

    log('waiting for the server to close what is left');
    const settleEnd = performance.now() + SETTLE_MS;
    let fdsAfter = countFds(pid);
    while (fdsAfter > fdsBefore + FD_SLACK && performance.now() < settleEnd) {
      await sleep(500);
      fdsAfter = countFds(pid);
    }
    const rssEnd = sampleProcess(pid).rssKb;
    log(`after: ${fdsAfter} fds (${fdsBefore} before), RSS ${mb(rssEnd)} MB; checking ${ledger.size} acked messages against history`);
    const history = await verifyHistory(ports.tcpPort, ledger, VERIFY_GROUP);
    const dbMb = dataFolderMb(pid);
    if (target.failure() && !failures.some((f) => f.startsWith('the server'))) failures.push(`the server ${target.failure()}`);

    if (bys.dropped) failures.push(`the bystander was dropped (${bys.dropped})`);
    if (bys.refused) failures.push(`the bystander was refused ${bys.refused} time(s)`);
    if (bys.answered < bys.sent) failures.push(`the bystander's pings went unanswered: ${bys.sent - bys.answered} of ${bys.sent}`);
    for (const a of outcomes) {
      if (a.outcome.victimDropped) failures.push(`the DM victim was dropped (${a.outcome.victimDropped})`);
    }
    const unexpected = Object.entries(churnStats.unexpected);
    if (unexpected.length) failures.push(`ordinary clients were dropped: ${unexpected.map(([r, n]) => `${n} × ${r}`).join(', ')}`);
    const refused = Object.entries(churnStats.says.refused);
    if (refused.length) failures.push(`ordinary clients' messages were refused: ${refused.map(([c, n]) => `${n} × ${c}`).join(', ')}`);
    if (history.lostAcked) failures.push(`${history.lostAcked} acked message(s) missing from history`);
    if (history.lostEchoed) failures.push(`${history.lostEchoed} delivered text-mode message(s) missing from history`);
    if (history.failedRanges) failures.push(`history could not be read to the end in ${history.failedRanges} range(s): the check is incomplete`);
    if (fdsAfter > fdsBefore + FD_SLACK) failures.push(`descriptors leaked: ${fdsBefore} before, ${fdsAfter} after`);

    const half = samples.slice(Math.floor(samples.length / 2));
    const range = (xs: number[]): [number, number] => (xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 0]);
    const lags = samples.map((s) => s.lagP99Ms).filter((v): v is number => v !== null);
    const result: SoakResult = {
      startedAt, command, machine: describeMachine(), options: o, durationSec: Math.round(loadSec),
      server: {
        rssStartMb: mb(rssStart), rssPeakMb: mb(peakRss), rssPlateauMb: range(half.map((s) => s.rssMb)), rssEndMb: mb(rssEnd),
        fdsBefore, fdsDuring: range(samples.map((s) => s.fds)), fdsAfter, cpuPct: range(samples.map((s) => s.cpuPct)),
        lagP99MaxMs: lags.length ? Math.max(...lags) : null, dbMb, ...counters,
      },
      samples, churn: churnStats, moderation, attacks: outcomes, bystander: bys, history, failures,
    };
    const out = o.out ?? path.join(ROOT, 'bench/results', `soak-${startedAt.replace(/[:.]/g, '-')}.json`);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
    console.log(renderSoak(result));
    log(`results: ${out}`);
    return failures.length ? 1 : 0;
  } finally {
    bystander?.kill();
    await target.stop();
  }
}

process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack ?? err.message : err);
    process.exit(1);
  },
);
