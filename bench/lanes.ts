/** A lane is one server and the transport the generator speaks to it. */
import { existsSync } from 'node:fs';
import type { Transport } from './gen/conn.js';
import { startNgircd, findNgircd } from './targets/ngircd.js';
import { startOursCluster, type ClusterTargetOptions } from './targets/ours-cluster.js';
import { startOurs } from './targets/ours.js';
import type { Target, TargetName } from './targets/target.js';
import { startWsTutorial } from './targets/ws-tutorial.js';

export const LANE_IDS = [
  'ours-ws', 'ours-tcp', 'ours-irc', 'ws-tutorial', 'ngircd',
  'ours-ws-before', 'ours-tcp-before',
  'ours-ws-r1', 'ours-ws-r2', 'ours-tcp-r1', 'ours-tcp-r2',
] as const;
export type LaneId = (typeof LANE_IDS)[number];

export interface Lane {
  id: LaneId;
  target: TargetName;
  transport: Transport;
  /** In-flight connection set-ups; ngIRCd's listen backlog is small and resets overflow. */
  connectConcurrency: number;
  /** Cluster lanes: how many nodes share one Redis; the generator spreads connections over them. */
  nodes?: number;
  /** `-before` lanes: the single node as built before the cluster engine (set by --before-dist). */
  before?: boolean;
}

export const LANES: Lane[] = [
  { id: 'ours-ws', target: 'ours', transport: 'ws', connectConcurrency: 200 },
  { id: 'ours-tcp', target: 'ours', transport: 'tcp', connectConcurrency: 200 },
  { id: 'ours-irc', target: 'ours', transport: 'irc', connectConcurrency: 200 },
  { id: 'ours-ws-before', target: 'ours', transport: 'ws', connectConcurrency: 200, before: true },
  { id: 'ours-tcp-before', target: 'ours', transport: 'tcp', connectConcurrency: 200, before: true },
  { id: 'ours-ws-r1', target: 'ours-cluster', transport: 'ws', connectConcurrency: 200, nodes: 1 },
  { id: 'ours-ws-r2', target: 'ours-cluster', transport: 'ws', connectConcurrency: 200, nodes: 2 },
  { id: 'ours-tcp-r1', target: 'ours-cluster', transport: 'tcp', connectConcurrency: 200, nodes: 1 },
  { id: 'ours-tcp-r2', target: 'ours-cluster', transport: 'tcp', connectConcurrency: 200, nodes: 2 },
  { id: 'ws-tutorial', target: 'ws-tutorial', transport: 'ws', connectConcurrency: 200 },
  { id: 'ngircd', target: 'ngircd', transport: 'irc', connectConcurrency: 8 },
];

/** The lanes `--lanes` selects when not given: every lane but the `-before` ones, which need --before-dist. */
export const DEFAULT_LANES: LaneId[] = LANES.filter((l) => !l.before).map((l) => l.id);

/** Where the `-before` lanes' server/main.js is (--before-dist DIR/server/main.js). */
let beforeMain: string | null = null;

export function setBeforeDist(dir: string | null): void {
  beforeMain = dir ? `${dir.replace(/\/$/, '')}/server/main.js` : null;
}

/** Why a lane cannot run on this machine, or null. */
export function laneUnavailable(lane: Lane): string | null {
  if (lane.target === 'ngircd' && !findNgircd()) return 'ngircd is not installed (apt-get install ngircd); its lane is skipped';
  if (lane.before && (!beforeMain || !existsSync(beforeMain))) {
    return `the -before lanes need --before-dist (a build of the server from before the cluster engine); ${beforeMain ?? 'none given'}: skipped`;
  }
  return null;
}

/** `oursArgs` are extra command-line flags for our server; the baselines have no such settings. */
export function startLane(lane: Lane, maxConnections: number, oursArgs: string[] = [], cluster: ClusterTargetOptions = {}): Promise<Target> {
  if (lane.target === 'ours-cluster') return startOursCluster(lane.nodes ?? 1, maxConnections, oursArgs, cluster);
  if (lane.target === 'ours') {
    const args = lane.transport === 'irc' ? ['--irc-port', '0', ...oursArgs] : oursArgs;
    return startOurs(maxConnections, args, lane.before ? { serverMain: beforeMain! } : {});
  }
  if (lane.target === 'ws-tutorial') return startWsTutorial();
  return startNgircd(maxConnections);
}

export function portOf(lane: Lane, target: Target): number {
  const port = target.ports[lane.transport];
  if (port === undefined) throw new Error(`${target.name} has no ${lane.transport} port`);
  return port;
}

/** Every node's port for the lane's transport, in node order (one port on a single server). */
export function portsOf(lane: Lane, target: Target): number[] {
  if (!target.nodes) return [portOf(lane, target)];
  return target.nodes.map((n, i) => {
    const port = n.ports[lane.transport];
    if (port === undefined) throw new Error(`${target.name} node ${i} has no ${lane.transport} port`);
    return port;
  });
}

export const isOurs = (id: string): boolean => id.startsWith('ours');
/** Our single-node lanes of this build (the ones issue 4 and 8 targets judge). */
export const isOursSingle = (id: string): boolean => id === 'ours-ws' || id === 'ours-tcp';
export const isCluster = (id: string): boolean => /-r\d+$/.test(id);
