/**
 * attacks: the attack report's bystander (TCP JSON, 10 pings a second, in a process of its own)
 * against the production build with its default limits: alone first, then under each attack in turn,
 * on one server. Per window: the bystander's round trips and whether it was refused or dropped, what
 * happened to the attacker, and the server's memory and CPU.
 */
import type { AttackOutcome } from '../attacks/attack.js';
import { BystanderProcess, type BystanderSummary } from '../attacks/bystander.js';
import { attackGroup, makeAttack, type AttackName } from '../attacks/index.js';
import { addressOf, sleep } from '../attacks/wire.js';
import { sampleProcess, scrapeLagP99Ms, scrapeMetric, type ProcSample } from '../targets/proc-stats.js';
import { startOurs } from '../targets/ours.js';
import type { Target } from '../targets/target.js';

export interface AttacksOptions {
  attacks: AttackName[];
  aloneMs: number;
  attackMs: number;
}

export interface AttackRow {
  /** 'none' for the bystander alone. */
  attack: string;
  describe: string;
  bystander: BystanderSummary;
  outcome: AttackOutcome | null;
  /** Times the server stopped reading a connection during the window (its chat_input_paused_total). */
  paced: number | null;
  slowConsumersDropped: number | null;
  rssPeakMb: number;
  cpuPct: number;
  lagP99Ms: number | null;
  windowMs: number;
}

const BYSTANDER_GROUP = 10;
/** Time for the server to close what an attack left before the next window. */
const SETTLE_MS = 1000;
const RSS_POLL_MS = 100;

function log(msg: string): void {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

/** Server figures over one window: RSS peak (polled), CPU and the counters that tell pacing and drops. */
class WindowMeter {
  private first: ProcSample;
  private peakKb: number;
  private readonly timer: NodeJS.Timeout;
  private counters: Promise<[number | null, number | null]>;

  constructor(private readonly target: Target) {
    this.first = sampleProcess(target.pid);
    this.peakKb = this.first.rssKb;
    this.timer = setInterval(() => { this.peakKb = Math.max(this.peakKb, sampleProcess(target.pid).rssKb); }, RSS_POLL_MS);
    this.counters = this.readCounters();
    void scrapeLagP99Ms(target.metricsUrl);
  }

  private async readCounters(): Promise<[number | null, number | null]> {
    const url = this.target.metricsUrl;
    return [await scrapeMetric(url, 'chat_input_paused_total'), await scrapeMetric(url, 'chat_slow_consumers_dropped_total')];
  }

  /** Ends the window's CPU and RSS; the counters are read by `counts` (after the attack is stopped). */
  end(): { rssPeakMb: number; cpuPct: number; windowMs: number; lag: Promise<number | null> } {
    clearInterval(this.timer);
    const last = sampleProcess(this.target.pid);
    const wallMs = last.wallMs - this.first.wallMs;
    return {
      rssPeakMb: Math.round(Math.max(this.peakKb, last.rssKb) / 102.4) / 10,
      cpuPct: wallMs > 0 ? Math.round(((last.cpuUs - this.first.cpuUs) / (wallMs * 1000)) * 100) : 0,
      windowMs: Math.round(wallMs),
      lag: scrapeLagP99Ms(this.target.metricsUrl),
    };
  }

  async counts(): Promise<{ paced: number | null; slowConsumersDropped: number | null }> {
    const [p0, d0] = await this.counters;
    const [p1, d1] = await this.readCounters();
    return { paced: p0 !== null && p1 !== null ? p1 - p0 : null, slowConsumersDropped: d0 !== null && d1 !== null ? d1 - d0 : null };
  }
}

export async function runAttacks(o: AttacksOptions, notes: string[]): Promise<AttackRow[]> {
  const target = await startOurs(0, [], { limits: 'default' });
  const rows: AttackRow[] = [];
  let bystanders = 0;
  const newBystander = () => BystanderProcess.start(target.ports.tcp!, {
    localAddress: addressOf(BYSTANDER_GROUP, bystanders), nick: `bystander${bystanders++}`,
  });
  let bystander = await newBystander();
  try {
    await sleep(500);
    await bystander.mark();

    const measure = async (attack: string, describe: string, ms: number, stop: () => Promise<AttackOutcome | null>) => {
      const meter = new WindowMeter(target);
      await sleep(ms);
      const window = meter.end();
      const bys = await bystander.mark();
      const outcome = await stop();
      rows.push({
        attack, describe, bystander: bys, outcome, ...(await meter.counts()),
        rssPeakMb: window.rssPeakMb, cpuPct: window.cpuPct, lagP99Ms: await window.lag, windowMs: window.windowMs,
      });
      log(`attacks ${attack}: bystander p99 ${bys.rtt.p99} ms, ${bys.answered}/${bys.sent} answered${bys.dropped ? `, DROPPED (${bys.dropped})` : ''}`);
      if (bys.dropped) {
        notes.push(`attacks: the bystander was dropped under ${attack} (${bys.dropped}); a new one measured the rows after it.`);
        bystander.kill();
        bystander = await newBystander();
      }
    };

    log('attacks: the bystander alone');
    await measure('none', 'the bystander alone', o.aloneMs, async () => null);
    for (const name of o.attacks) {
      const died = target.failure();
      if (died) {
        notes.push(`attacks: the server ${died}; the attacks from ${name} on were not run.`);
        break;
      }
      const attack = makeAttack(name, { wsPort: target.ports.ws!, tcpPort: target.ports.tcp!, group: attackGroup(name), log });
      try {
        log(`attacks ${name}: preparing`);
        await attack.prepare();
      } catch (err) {
        notes.push(`attacks: ${name} could not be set up: ${err instanceof Error ? err.message : String(err)}`);
        await attack.stop();
        continue;
      }
      await bystander.mark();
      attack.start();
      await measure(name, attack.describe, o.attackMs, () => attack.stop());
      await sleep(SETTLE_MS);
      await bystander.mark();
    }
    const died = target.failure();
    if (died) notes.push(`attacks: the server ${died}.`);
    return rows;
  } finally {
    await bystander.stop().catch(() => bystander.kill());
    await target.stop();
  }
}
