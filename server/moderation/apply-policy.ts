/**
 * A room's new moderation state, applied on every node that serves the room: members here are shown the
 * action, and members here that a ban now covers leave the room. A ban on a guest's nick learns the
 * guest's address here, on the node that holds the connection, so the guest cannot come back under
 * another nick.
 */
import { addressKey } from '../admission.js';
import type { EngineEvent } from '../engine/engine.js';
import type { Hub } from '../hub.js';
import { Outgoing } from '../outgoing.js';
import type { Room } from '../room.js';
import { findMark, isOperator, type Actor, type RoomMark } from './policy.js';

/**
 * A ban on a guest's nick that matched a connection here also records that connection's address (IPv4,
 * or its IPv6 /64), so the guest cannot come back under another nick.
 */
export function learnAddress(hub: Hub, room: Room, mark: RoomMark, actor: Actor): void {
  if (mark.nick === undefined || mark.account !== undefined || mark.address !== undefined) return;
  const address = addressKey(actor.address);
  const learn = (m: RoomMark) => (m.nick === mark.nick && m.account === undefined && m.address === undefined ? { ...m, address } : m);
  hub.quietly(hub.engine.updatePolicy(room.key, room.name, (p) => ({ ...p, bans: p.bans.map(learn) })).then(() => {}), 'ban address');
}

export function applyPolicy(hub: Hub, event: Extract<EngineEvent, { kind: 'policy' }>): void {
  const room = hub.rooms.get(event.roomKey);
  if (!room) return;
  const policy = event.policy;
  room.policy = policy;
  hub.rooms.changed();
  if (event.notice) {
    const { by, action, detail, reason, ts } = event.notice;
    const out = new Outgoing(reason
      ? { type: 'moderation', room: room.name, by, action, detail, reason, ts }
      : { type: 'moderation', room: room.name, by, action, detail, ts });
    hub.metrics.messagesOut.inc();
    hub.metrics.deliveries.inc(room.broadcast(out));
  }
  const now = Date.now();
  // A user on several terminals is judged by each (their addresses may differ); one banned is enough.
  for (const user of [...room.members]) {
    for (const session of user.sessions) {
      const actor = hub.actorOf(session);
      if (isOperator(policy, actor)) break;
      const mark = findMark(policy.bans, actor, now);
      if (!mark) continue;
      learnAddress(hub, room, mark, actor);
      hub.quietly(hub.engine.part(room.key, room.name, hub.memberOf(user), `banned${mark.reason ? `: ${mark.reason}` : ''}`), 'part');
      break;
    }
  }
}
