/**
 * A user logging in to an account or out, as the engine's `login` events say: those sharing a room with
 * it learn it as member-state.ts applies it (its own terminals were told `account` by the request). The
 * user here holds its account already (Hub.logIn): the event only tells the others. Roles go with
 * accounts, so in a room where the account it took holds another role than the one it left, the room's
 * members are shown the change as `role` (with no `by`: nobody gave it).
 */
import type { LoginEvt, RoleEvt } from '../shared/protocol.js';
import { caseFold } from '../shared/validate.js';
import type { EngineEvent, MemberRef } from './engine/engine.js';
import type { Hub } from './hub.js';
import { applyMemberState } from './member-state.js';
import { hasRoles, roleOf } from './moderation/policy.js';
import { Outgoing } from './outgoing.js';
import type { User } from './user.js';

export function loginEvent(nick: string, account: string | null | undefined): LoginEvt {
  return account ? { type: 'login', nick, account } : { type: 'login', nick };
}

export function applyLogin(hub: Hub, event: Extract<EngineEvent, { kind: 'login' }>): void {
  const { member } = event;
  const user = hub.localUser(member);
  applyMemberState(hub, member, event.rooms, 'account', loginEvent(member.nick, member.account));
  showRoles(hub, member, user, event.rooms, event.was);
  if (user) hub.applied(`login:${user.id}`);
}

/**
 * The member's role changes in its rooms here. Rooms above the announce limit tell only the member
 * itself, as they tell only a joiner its join (their `who` says the rest).
 */
function showRoles(hub: Hub, member: MemberRef, user: User | null, rooms: readonly string[], was: string | undefined): void {
  const before = was === undefined ? null : caseFold(was);
  const after = member.account === undefined ? null : caseFold(member.account);
  if (before === after) return;
  for (const key of rooms) {
    const room = hub.rooms.get(key);
    if (!room || !hasRoles(room.policy)) continue;
    const present = user ? room.members.has(user) : room.remote.get(caseFold(member.nick))?.sid === member.sid;
    if (!present) continue;
    const role = roleOf(room.policy, after);
    const had = roleOf(room.policy, before);
    if (role === had) continue;
    const change: RoleEvt = { type: 'role', room: room.name, nick: member.nick, role, was: had };
    const out = new Outgoing(change);
    if (room.total > hub.config.announceLimit) {
      if (user) hub.sendShared(user, out);
      continue;
    }
    hub.metrics.messagesOut.inc();
    hub.metrics.deliveries.inc(room.broadcast(out));
  }
}
