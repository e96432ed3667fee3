/**
 * Away, as the engine's `away` events say, applied the same way for users of this node and of others:
 * the user here takes up its away text, members elsewhere keep theirs in each room's replica (for
 * `who`), and members here who share a room with it are told, as they are of a rename. Rooms above the
 * announce limit are not told (their `who` says it), as they are not told of single joins.
 */
import type { AwayEvt } from '../shared/protocol.js';
import { caseFold } from '../shared/validate.js';
import type { EngineEvent } from './engine/engine.js';
import type { Hub } from './hub.js';
import { Outgoing } from './outgoing.js';
import type { User } from './user.js';

export function awayEvent(nick: string, reason: string | null | undefined): AwayEvt {
  return reason ? { type: 'away', nick, reason } : { type: 'away', nick };
}

export function applyAway(hub: Hub, event: Extract<EngineEvent, { kind: 'away' }>): void {
  const { member } = event;
  const user = hub.localUser(member);
  if (user) user.away = member.away ?? null;
  const fold = caseFold(member.nick);
  const told = new Set<User>();
  for (const key of event.rooms) {
    const room = hub.rooms.get(key);
    if (!room) continue;
    if (!user) {
      const known = room.remote.get(fold);
      if (known?.sid !== member.sid) continue;
      const { away: _was, ...ref } = known;
      room.remote.set(fold, member.away ? { ...ref, away: member.away } : ref);
    } else if (!room.members.has(user)) {
      continue;
    }
    room.renamed();
    if (room.total > hub.config.announceLimit) continue;
    for (const m of room.members) if (m !== user) told.add(m);
  }
  if (told.size > 0) {
    // Held joins and parts go out first, as they came first.
    for (const key of event.rooms) {
      const room = hub.rooms.get(key);
      if (room) hub.metrics.deliveries.inc(room.flushPresence());
    }
    const out = new Outgoing(awayEvent(member.nick, member.away));
    hub.metrics.messagesOut.inc();
    for (const m of told) m.peer.deliver(out);
    hub.metrics.deliveries.inc(told.size);
  }
  if (user) hub.applied(`away:${user.id}`);
}
