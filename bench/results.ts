/** The shape of one bench run, as written to bench/results/*.json. */
import type { AttackRow } from './scenarios/attacks.js';
import type { FailoverRow } from './scenarios/failover.js';
import type { FanoutRow } from './scenarios/fanout.js';
import type { IdleRow } from './scenarios/idle.js';
import type { IngestRow } from './scenarios/ingest.js';
import type { SaturateRow } from './scenarios/saturate.js';
import type { SlowRow } from './scenarios/slow.js';

export interface Machine {
  nproc: number;
  memGiB: number;
  cpu: string;
  node: string;
  kernel: string;
  openFilesLimit: number;
  /** 1-minute load average when the run started: a hint of how shared the machine was. */
  loadAvg1: number;
}

export interface BenchResults {
  startedAt: string;
  durationSec: number;
  command: string;
  /** The measured window of each load (--measure), ms. */
  measureMs?: number;
  machine: Machine;
  notes: string[];
  fanout: FanoutRow[];
  fanoutLarge: FanoutRow[];
  saturate: SaturateRow[];
  idle: IdleRow[];
  ingest: IngestRow[];
  slow: SlowRow[];
  /** The bystander alone (first row), then under each attack; absent in runs from before it existed. */
  attacks?: AttackRow[];
  /** Issue 9: SIGKILL a node of a 2-node cluster; absent in runs from before it existed. */
  failover?: FailoverRow[];
}
