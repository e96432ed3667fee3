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
import type { RoleEvt, RoomSettingsInfo, ServerMessage, SettingsEvt } from '../../shared/protocol.js';
import { accountOf } from '../room.js';
import type { User } from '../user.js';
import type { MemberRef } from '../engine/engine.js';
import { findMark, hasRoles, isOperator, roleOf, type Actor, type RoomMark, type RoomPolicy } from './policy.js';

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
  const before = room.policy;
  room.policy = policy;
  hub.rooms.changed();
  const by = event.notice?.by;
  const show = (message: ServerMessage) => {
    hub.metrics.messagesOut.inc();
    hub.metrics.deliveries.inc(room.broadcast(new Outgoing(message)));
  };
  if (event.notice) {
    const { action, detail, reason, ts } = event.notice;
    show(reason
      ? { type: 'moderation', room: room.name, by: by!, action, detail, reason, ts }
      : { type: 'moderation', room: room.name, by: by!, action, detail, ts });
  }
  // What changed, told as it is now: each member whose role changed, and the settings that did.
  for (const change of roleChanges(room, before, policy)) show(by === undefined ? change : { ...change, by });
  const settings = settingsChange(room, before, policy);
  if (settings) show(by === undefined ? settings : { ...settings, by });
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

/** The members (here or elsewhere) whose role differs between the two policies. */
function roleChanges(room: Room, before: RoomPolicy | null, after: RoomPolicy): RoleEvt[] {
  if (!hasRoles(before) && !hasRoles(after)) return [];
  const accounts = new Set([...rolesHeld(before), ...rolesHeld(after)]);
  const changed = new Set([...accounts].filter((a) => roleOf(before, a) !== roleOf(after, a)));
  if (changed.size === 0) return [];
  const events: RoleEvt[] = [];
  const tell = (member: User | MemberRef, nick: string) => {
    const account = accountOf(member);
    if (account === null || !changed.has(account)) return;
    events.push({ type: 'role', room: room.name, nick, role: roleOf(after, account), was: roleOf(before, account) });
  };
  for (const user of room.members) if (user.nick) tell(user, user.nick);
  // Members elsewhere are listed by nick, not account (a logged-in user may rename): each is asked.
  for (const remote of room.remote.values()) tell(remote, remote.nick);
  return events;
}

function rolesHeld(policy: RoomPolicy | null): string[] {
  if (!policy) return [];
  return [...(policy.owner !== undefined ? [policy.owner] : []), ...policy.ops, ...policy.voiced];
}

const SETTINGS: readonly (keyof RoomSettingsInfo)[] = ['inviteOnly', 'key', 'moderated', 'secret', 'topicOps', 'limit'];

function settingsChange(room: Room, before: RoomPolicy | null, after: RoomPolicy): SettingsEvt | null {
  const was = before?.settings ?? {};
  const changed = SETTINGS.filter((name) => was[name] !== after.settings[name]);
  return changed.length === 0 ? null : { type: 'settings', room: room.name, settings: { ...after.settings }, changed };
}
