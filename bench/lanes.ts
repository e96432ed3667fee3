/** A lane is one server and the transport the generator speaks to it. */
import type { Transport } from './gen/conn.js';
import { startNgircd, findNgircd } from './targets/ngircd.js';
import { startOurs } from './targets/ours.js';
import type { Target, TargetName } from './targets/target.js';
import { startWsTutorial } from './targets/ws-tutorial.js';

export type LaneId = 'ours-ws' | 'ours-tcp' | 'ws-tutorial' | 'ngircd';

export interface Lane {
  id: LaneId;
  target: TargetName;
  transport: Transport;
  /** In-flight connection set-ups; ngIRCd's listen backlog is small and resets overflow. */
  connectConcurrency: number;
}

export const LANES: Lane[] = [
  { id: 'ours-ws', target: 'ours', transport: 'ws', connectConcurrency: 200 },
  { id: 'ours-tcp', target: 'ours', transport: 'tcp', connectConcurrency: 200 },
  { id: 'ws-tutorial', target: 'ws-tutorial', transport: 'ws', connectConcurrency: 200 },
  { id: 'ngircd', target: 'ngircd', transport: 'irc', connectConcurrency: 8 },
];

/** Why a lane cannot run on this machine, or null. */
export function laneUnavailable(lane: Lane): string | null {
  if (lane.target === 'ngircd' && !findNgircd()) return 'ngircd is not installed (apt-get install ngircd); its lane is skipped';
  return null;
}

/** `oursArgs` are extra command-line flags for our server; the baselines have no such settings. */
export function startLane(lane: Lane, maxConnections: number, oursArgs: string[] = []): Promise<Target> {
  if (lane.target === 'ours') return startOurs(maxConnections, oursArgs);
  if (lane.target === 'ws-tutorial') return startWsTutorial();
  return startNgircd(maxConnections);
}

export function portOf(lane: Lane, target: Target): number {
  const port = target.ports[lane.transport];
  if (port === undefined) throw new Error(`${target.name} has no ${lane.transport} port`);
  return port;
}
