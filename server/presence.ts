/** Joins and parts as members hear them: at once in a small room, batched in a busy one. */
import type { Metrics } from './metrics.js';
import type { Outgoing } from './outgoing.js';
import type { Room } from './room.js';
import type { User } from './user.js';

/**
 * Joins and parts in a room of at least this many members are held up to PRESENCE_WINDOW_MS and sent
 * together: filling a room announces every newcomer to every member, and one write per member per join
 * made that quadratic in system calls. Nothing else waits: a message or topic flushes them first.
 */
export const PRESENCE_BATCH_MEMBERS = 64;
export const PRESENCE_WINDOW_MS = 25;

/** Tells the members of a join (the joiner, here, included) or a part. */
export function announce(room: Room, out: Outgoing, metrics: Metrics, joiner?: User): void {
  metrics.messagesOut.inc();
  if (room.members.size < PRESENCE_BATCH_MEMBERS) return void metrics.deliveries.inc(room.broadcast(out));
  if (joiner && !joiner.closed) {
    joiner.peer.deliver(out);
    metrics.deliveries.inc();
  }
  if (room.holdPresence(out, joiner)) {
    setTimeout(() => metrics.deliveries.inc(room.flushPresence()), PRESENCE_WINDOW_MS);
  }
}
