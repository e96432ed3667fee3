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
import { findMark, isOperator, type RoomMark } from './policy.js';

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
  for (const session of [...room.members]) {
    const actor = hub.actorOf(session);
    if (isOperator(policy, actor)) continue;
    const mark = findMark(policy.bans, actor, now);
    if (!mark) continue;
    if (mark.nick !== undefined && mark.account === undefined && mark.address === undefined) {
      const address = addressKey(actor.address);
      const learn = (m: RoomMark) => (m.nick === mark.nick && m.account === undefined && m.address === undefined ? { ...m, address } : m);
      hub.quietly(hub.engine.updatePolicy(room.key, room.name, (p) => ({ ...p, bans: p.bans.map(learn) })).then(() => {}), 'ban address');
    }
    hub.quietly(hub.engine.part(room.key, room.name, hub.memberOf(session), `banned${mark.reason ? `: ${mark.reason}` : ''}`), 'part');
  }
}
