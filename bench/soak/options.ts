/** Command-line options of `npm run soak`. */
import { parseArgs } from 'node:util';
import { ATTACK_NAMES, type AttackName } from '../attacks/index.js';

/** The attack report's attacks that run beside the churn by default (history-sustained is the bench's). */
export const SOAK_ATTACKS: AttackName[] = ['history-burst', 'rooms-list', 'dm-victim', 'lobby-flood', 'free-input', 'silent-sockets'];

export const SOAK_HELP = `Usage: npm run soak -- [options]

Starts the production build with its default limits on a fresh data folder (127.0.0.1 only), then runs
churn, the attacks and a bystander at once, prints the server's figures every --sample seconds and a
summary at the end. Exits 1 when the bystander, the DM victim or an ordinary client was dropped or
refused, an acked message is missing from history, descriptors leaked, or the server died.

  --minutes N       how long the load runs (10)
  --concurrent N    ordinary clients connected at any time (200)
  --rooms N         rooms the ordinary clients join 1-3 of (20)
  --attacks LIST    ${ATTACK_NAMES.join(',')}, or none (default: ${SOAK_ATTACKS.join(',')})
  --sample S        seconds between progress lines (10)
  --out FILE        results JSON (bench/results/soak-<time>.json)
  --help`;

export interface SoakOptions {
  minutes: number;
  concurrent: number;
  rooms: number;
  attacks: AttackName[];
  sampleMs: number;
  out: string | null;
  help: boolean;
}

function num(v: string | undefined, def: number, name: string, min: number, max: number): number {
  if (v === undefined) return def;
  const x = Number(v);
  if (!Number.isFinite(x) || x < min || x > max) throw new Error(`--${name} must be a number from ${min} to ${max}, got "${v}"`);
  return x;
}

export function parseSoakOptions(argv: string[]): SoakOptions {
  const s = { type: 'string' } as const;
  const { values: v } = parseArgs({
    args: argv,
    options: { minutes: s, concurrent: s, rooms: s, attacks: s, sample: s, out: s, help: { type: 'boolean' } },
    strict: true,
  });
  let attacks = SOAK_ATTACKS;
  if (v.attacks !== undefined) {
    attacks = v.attacks === 'none' ? [] : v.attacks.split(',').map((a) => a.trim()).filter(Boolean) as AttackName[];
    for (const a of attacks) if (!ATTACK_NAMES.includes(a)) throw new Error(`--attacks: unknown "${a}" (one of ${ATTACK_NAMES.join(', ')}, or none)`);
  }
  return {
    minutes: num(v.minutes, 10, 'minutes', 0.1, 24 * 60),
    concurrent: num(v.concurrent, 200, 'concurrent', 1, 5000),
    rooms: num(v.rooms, 20, 'rooms', 1, 1000),
    attacks,
    sampleMs: num(v.sample, 10, 'sample', 1, 3600) * 1000,
    out: v.out ?? null,
    help: v.help ?? false,
  };
}
