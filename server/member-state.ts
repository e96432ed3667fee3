/**
 * What a member is besides its nick (its away text, its account), as the engine's `away` and `login`
 * events say, applied the same way for users of this node and of others: members elsewhere keep theirs
 * in each room's replica (for `who`), and members here who share a room with it are told, as they are
 * of a rename. Rooms above the announce limit are not told (their `who` says it), as they are not told
 * of single joins.
 */
import type { ServerMessage } from '../shared/protocol.js';
import { caseFold } from '../shared/validate.js';
import type { MemberRef } from './engine/engine.js';
import type { Hub } from './hub.js';
import { Outgoing } from './outgoing.js';
import type { User } from './user.js';

/** Sets `field` of the member (from `member`, absent: none) in the replicas of `rooms`, and tells members here `message`. */
export function applyMemberState(hub: Hub, member: MemberRef, rooms: readonly string[], field: 'away' | 'account', message: ServerMessage): void {
  const user = hub.localUser(member);
  const fold = caseFold(member.nick);
  const told = new Set<User>();
  for (const key of rooms) {
    const room = hub.rooms.get(key);
    if (!room) continue;
    if (!user) {
      const known = room.remote.get(fold);
      if (known?.sid !== member.sid) continue;
      const { [field]: _was, ...ref } = known;
      const value = member[field];
      room.remote.set(fold, value ? { ...ref, [field]: value } : ref);
    } else if (!room.members.has(user)) {
      continue;
    }
    room.renamed();
    if (room.total > hub.config.announceLimit) continue;
    for (const m of room.members) if (m !== user) told.add(m);
  }
  if (told.size === 0) return;
  // Held joins and parts go out first, as they came first.
  for (const key of rooms) {
    const room = hub.rooms.get(key);
    if (room) hub.metrics.deliveries.inc(room.flushPresence());
  }
  const out = new Outgoing(message);
  hub.metrics.messagesOut.inc();
  for (const m of told) m.peer.deliver(out);
  hub.metrics.deliveries.inc(told.size);
}
