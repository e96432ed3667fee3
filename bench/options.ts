/** Command-line options of `npm run bench`; every default is a quick run. */
import { parseArgs } from 'node:util';
import { ATTACK_NAMES, type AttackName } from './attacks/index.js';
import { DEFAULT_LANES, LANE_IDS, type LaneId } from './lanes.js';

export const SCENARIOS = ['fanout', 'saturate', 'idle', 'ingest', 'slow', 'attacks', 'failover'] as const;
export const FSYNCS = ['always', 'no'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const HELP = `Usage: npm run bench -- [options]

  --scenarios LIST       fanout,saturate,idle,ingest,slow,attacks,failover (default: all; slow and attacks run on our
                         single node only, failover on the 2-node cluster lanes only)
  --lanes LIST           ${LANE_IDS.join(',')}
                         (default: all but the -before lanes; ngircd skipped if not installed). -r1 / -r2: cluster mode,
                         a redis-server (AOF, appendfsync always) and 1 or 2 nodes, connections spread round-robin
  --before-dist DIR      a build (dist/) of the server from before the cluster engine, for the -before lanes
  --members N            fanout/saturate room size (1000)
  --senders S            fanout/saturate senders (10)
  --rate R               fanout offered deliveries/s (100000)
  --large                also fanout with --large-members at --large-rate (10000 at 50000)
  --warmup S             seconds before measuring (0.5)
  --measure S            measured seconds per load (2)
  --saturate-start R     first offered deliveries/s (12500)
  --saturate-factor F    rate multiplier per step (2)
  --saturate-max R       highest offered rate tried (4000000)
  --idle-conns N         idle connections (100000, capped by the open-files limit: as many as it allows)
  --ingest-senders N     ingest connections, all sending (200)
  --ingest-rooms N       ingest rooms (50)
  --ingest-rate R        ingest offered messages/s (21000: a margin over the 20,000 target)
  --ingest-fsync LIST    cluster lanes: Redis appendfsync for ingest, each a run (always,no)
  --slow-fast N          slow: readers that keep up (200)
  --slow-stalled N       slow: readers that stop reading after joining (1000)
  --slow-rate R          slow: offered messages/s, each to every member (600)
  --slow-text N          slow: message text length in characters (1000)
  --slow-load S          slow: seconds of load while the stalled readers are dropped (5.5)
  --slow-alone S         slow: seconds of load on the fast readers alone, before the stalled join (1; 0 skips)
  --slow-after S         slow: seconds of load right after, at least; longer until the dropped are torn down (1; 0 skips)
  --slow-buffer BYTES    slow: the server's --max-buffered-bytes (1048576, its default)
  --attacks LIST         attacks: which, in order (default: ${ATTACK_NAMES.join(',')})
  --attack-alone S       attacks: seconds the bystander is measured alone (10)
  --attack-seconds S     attacks: seconds the bystander is measured under each attack (10)
  --failover-clients N   failover: clients on node A (5000)
  --failover-rooms N     failover: rooms they are spread over (50)
  --failover-rate R      failover: messages/s the writers on node B send over all rooms (100)
  --failover-burst N     failover: messages per room the writers send when A dies, so clients must page history (60)
  --failover-lease S     failover: the nodes' --node-lease (2)
  --failover-retry MS    failover: a client says hello again this long after NICK_TAKEN, plus up to half at random (250)
  --failover-timeout S   failover: seconds after the kill before giving up (60)
  --procs N              generator processes (1; more when the open-files limit needs them)
  --setup-timeout S      seconds allowed to connect and join (60)
  --out FILE             results JSON (bench/results/<time>.json)
  --skip-docs            do not rewrite docs/benchmarks.md and docs/bench-latency.svg
  --help`;

export interface Options {
  scenarios: Scenario[];
  lanes: LaneId[];
  members: number;
  senders: number;
  rate: number;
  large: boolean;
  largeMembers: number;
  largeRate: number;
  warmupMs: number;
  measureMs: number;
  saturateStart: number;
  saturateFactor: number;
  saturateMax: number;
  idleConns: number;
  ingestSenders: number;
  ingestRooms: number;
  ingestRate: number;
  slowFast: number;
  slowStalled: number;
  slowRate: number;
  slowText: number;
  slowLoadMs: number;
  slowAloneMs: number;
  slowAfterMs: number;
  slowBuffer: number;
  attacks: AttackName[];
  attackAloneMs: number;
  attackMs: number;
  ingestFsync: Array<(typeof FSYNCS)[number]>;
  beforeDist: string | null;
  failoverClients: number;
  failoverRooms: number;
  failoverRate: number;
  failoverBurst: number;
  failoverLeaseSec: number;
  failoverRetryMs: number;
  failoverTimeoutMs: number;
  procs: number;
  setupTimeoutMs: number;
  out: string | null;
  skipDocs: boolean;
  help: boolean;
}


function num(v: string | undefined, def: number, name: string, min = 0): number {
  if (v === undefined) return def;
  const x = Number(v);
  if (!Number.isFinite(x) || x < min) throw new Error(`--${name} must be a number ≥ ${min}, got "${v}"`);
  return x;
}

function list<T extends string>(v: string | undefined, all: readonly T[], name: string, def: readonly T[] = all): T[] {
  if (v === undefined) return [...def];
  const items = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const i of items) if (!all.includes(i as T)) throw new Error(`--${name}: unknown "${i}" (one of ${all.join(', ')})`);
  return items as T[];
}

export function parseOptions(argv: string[]): Options {
  const s = { type: 'string' } as const;
  const { values: v } = parseArgs({
    args: argv,
    options: {
      scenarios: s, lanes: s, members: s, senders: s, rate: s, large: { type: 'boolean' }, 'large-members': s, 'large-rate': s,
      warmup: s, measure: s, 'saturate-start': s, 'saturate-factor': s, 'saturate-max': s, 'idle-conns': s,
      'ingest-senders': s, 'ingest-rooms': s, 'ingest-rate': s,
      'slow-fast': s, 'slow-stalled': s, 'slow-rate': s, 'slow-text': s, 'slow-load': s, 'slow-alone': s, 'slow-after': s, 'slow-buffer': s,
      attacks: s, 'attack-alone': s, 'attack-seconds': s, 'ingest-fsync': s, 'before-dist': s,
      'failover-clients': s, 'failover-rooms': s, 'failover-rate': s, 'failover-burst': s, 'failover-lease': s,
      'failover-retry': s, 'failover-timeout': s, procs: s, 'setup-timeout': s, out: s,
      'skip-docs': { type: 'boolean' }, help: { type: 'boolean' },
    },
    strict: true,
  });
  return {
    scenarios: list(v.scenarios, SCENARIOS, 'scenarios'),
    lanes: list(v.lanes, LANE_IDS, 'lanes', DEFAULT_LANES),
    members: num(v.members, 1000, 'members', 2),
    senders: num(v.senders, 10, 'senders', 1),
    rate: num(v.rate, 100_000, 'rate', 1),
    large: v.large ?? false,
    largeMembers: num(v['large-members'], 10_000, 'large-members', 2),
    largeRate: num(v['large-rate'], 50_000, 'large-rate', 1),
    warmupMs: num(v.warmup, 0.5, 'warmup') * 1000,
    measureMs: num(v.measure, 2, 'measure', 0.1) * 1000,
    saturateStart: num(v['saturate-start'], 12_500, 'saturate-start', 1),
    saturateFactor: num(v['saturate-factor'], 2, 'saturate-factor', 1.05),
    saturateMax: num(v['saturate-max'], 4_000_000, 'saturate-max', 1),
    idleConns: num(v['idle-conns'], 100_000, 'idle-conns', 1),
    ingestSenders: num(v['ingest-senders'], 200, 'ingest-senders', 1),
    ingestRooms: num(v['ingest-rooms'], 50, 'ingest-rooms', 1),
    ingestRate: num(v['ingest-rate'], 21_000, 'ingest-rate', 1),
    slowFast: num(v['slow-fast'], 200, 'slow-fast', 1),
    slowStalled: num(v['slow-stalled'], 1000, 'slow-stalled', 1),
    slowRate: num(v['slow-rate'], 600, 'slow-rate', 1),
    slowText: num(v['slow-text'], 1000, 'slow-text', 16),
    slowLoadMs: num(v['slow-load'], 5.5, 'slow-load', 0.5) * 1000,
    slowAloneMs: num(v['slow-alone'], 1, 'slow-alone') * 1000,
    slowAfterMs: num(v['slow-after'], 1, 'slow-after') * 1000,
    slowBuffer: num(v['slow-buffer'], 1024 * 1024, 'slow-buffer', 1024),
    attacks: list(v.attacks, ATTACK_NAMES, 'attacks'),
    attackAloneMs: num(v['attack-alone'], 10, 'attack-alone', 0.5) * 1000,
    attackMs: num(v['attack-seconds'], 10, 'attack-seconds', 0.5) * 1000,
    ingestFsync: list(v['ingest-fsync'], FSYNCS, 'ingest-fsync'),
    beforeDist: v['before-dist'] ?? null,
    failoverClients: num(v['failover-clients'], 5000, 'failover-clients', 1),
    failoverRooms: num(v['failover-rooms'], 50, 'failover-rooms', 1),
    failoverRate: num(v['failover-rate'], 100, 'failover-rate', 1),
    failoverBurst: num(v['failover-burst'], 60, 'failover-burst'),
    failoverLeaseSec: num(v['failover-lease'], 2, 'failover-lease', 1),
    failoverRetryMs: num(v['failover-retry'], 250, 'failover-retry', 1),
    failoverTimeoutMs: num(v['failover-timeout'], 60, 'failover-timeout', 1) * 1000,
    procs: num(v.procs, 1, 'procs', 1),
    setupTimeoutMs: num(v['setup-timeout'], 60, 'setup-timeout', 1) * 1000,
    out: v.out ?? null,
    skipDocs: v['skip-docs'] ?? false,
    help: v.help ?? false,
  };
}
