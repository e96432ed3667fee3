/**
 * Taking back what a dead node held: its members leave every room with a `part` ('connection closed'),
 * its nicks come free and its users' away texts and accounts go, then its bookkeeping goes. One script per room (a long script would stall
 * Redis); every step is idempotent, so two reapers at once, or a reaper that dies half way, are fine.
 */
import type { ScriptedRedis } from './redis-scripts.js';
import {
  BUS, DEAD_MARKER_MS, deadMarker, leaseKey, NODES, nodeAccounts, nodeAway, nodeNicks, nodeRooms, ROOMS, roomMembers, roomMeta,
} from './redis-scripts.js';

const NICKS_PER_CALL = 500;

/** Reaps `node`; false (nothing done) when its lease exists. */
export async function reapNode(cmd: ScriptedRedis, node: string, busMaxLen: number): Promise<boolean> {
  const lease = leaseKey(node);
  // First make its death final: from here on it cannot re-take its lease after a Redis outage.
  if ((await cmd.chatDeclareDead(lease, deadMarker(node), DEAD_MARKER_MS)) !== 1) return false;
  for (const room of await cmd.hkeys(nodeRooms(node))) {
    await cmd.chatReapRoom(lease, nodeRooms(node), roomMembers(room), BUS, ROOMS, roomMeta(room), node, room, busMaxLen);
  }
  while ((await cmd.chatReapNicks(lease, nodeNicks(node), node, NICKS_PER_CALL)) > 0);
  await cmd.del(nodeAway(node), nodeAccounts(node));
  await cmd.chatForgetNode(lease, nodeRooms(node), nodeNicks(node), NODES, node);
  return true;
}
