/**
 * Room moderation: kick, room bans and mutes, roles, invites and settings. Room operators (the owner,
 * those it made operators, and server operators) act; every change goes through the engine as the room's
 * new policy, is shown to the room's members on every node, and is written to the moderation log.
 */
import { ErrorCode, ProtocolFault } from '../../shared/errors.js';
import type {
  BanInfo, InviteMsg, KickMsg, MuteMsg, RoleMsg, ServerMessage, SettingsMsg, UnmuteMsg,
} from '../../shared/protocol.js';
import { caseFold } from '../../shared/validate.js';
import type { MemberRef, PolicyNotice } from '../engine/engine.js';
import type { Hub } from '../hub.js';
import {
  describeSettings, isOperator, markName, parseTarget, ROLE_ACTIONS, sameTarget, SETTINGS_ACTION, type RoomMark, type RoomPolicy, type RoomSettings,
} from '../moderation/policy.js';
import { kickReason } from '../../shared/kick-reason.js';
import type { Room } from '../room.js';
import type { Session } from '../session.js';
import type { CommandSpec } from './types.js';

/** The room, if the session is one of its operators (NOT_IN_ROOM, NOT_OPERATOR otherwise). */
export function operatedRoom(hub: Hub, session: Session, name: string): Room {
  const room = hub.memberRoom(session, name);
  if (!isOperator(room.policy, hub.actorOf(session))) {
    throw new ProtocolFault(ErrorCode.NOT_OPERATOR, `only ${room.name}'s operators may do that`);
  }
  return room;
}

function notice(session: Session, action: string, detail: string, reason?: string): PolicyNotice {
  return reason ? { by: session.nick!, action, detail, reason, ts: Date.now() } : { by: session.nick!, action, detail, ts: Date.now() };
}

function log(hub: Hub, session: Session, room: Room, action: string, target: string, reason?: string, expires?: number): Promise<void> {
  const by = session.account && session.account !== session.nick ? `${session.nick} (${session.account})` : session.nick!;
  return hub.engine.logModeration({ ts: Date.now(), by, action, target, room: room.name, ...(reason ? { reason } : {}), ...(expires ? { expires } : {}) });
}

/** A member of the room by nick, here or on another node. */
function memberByNick(hub: Hub, room: Room, fold: string): MemberRef | null {
  for (const s of room.members) if (s.nickKey === fold) return hub.memberOf(s);
  return room.remote.get(fold) ?? null;
}

function answer(hub: Hub, session: Session, out: ServerMessage, ref: string | undefined): void {
  hub.send(session, ref === undefined ? out : { ...out, ref } as ServerMessage);
}

// kick { room, nick, reason? } -> left{room, nick, reason: "kicked by <op>[: reason]", by: op} to every member
export const kick: CommandSpec<KickMsg> = {
  handle: async (hub, session, m) => {
    const room = operatedRoom(hub, session, m.room);
    const target = memberByNick(hub, room, caseFold(m.nick));
    if (!target) throw new ProtocolFault(ErrorCode.NO_SUCH_USER, `${m.nick} is not in ${room.name}`);
    if (room.policy?.owner === caseFold(m.nick) && !hub.actorOf(session).serverOperator) {
      throw new ProtocolFault(ErrorCode.NOT_OPERATOR, `${m.nick} owns ${room.name}`);
    }
    await hub.engine.part(room.key, room.name, target, kickReason(session.nick!, m.reason), false, session.nick!);
    await log(hub, session, room, 'kick', m.nick, m.reason);
    if (m.ref !== undefined) hub.send(session, { type: 'notice', text: `${m.nick} was kicked from ${room.name}`, ref: m.ref });
  },
};

type MarkList = 'bans' | 'mutes';

/** What a ban or mute mask names: a registered nick's account, a guest's nick, or an address block. */
async function targetOf(hub: Hub, mask: string): Promise<Pick<RoomMark, 'account' | 'nick' | 'address'>> {
  const registered = await hub.engine.accounts.collision(mask).catch(() => null);
  const target = parseTarget(mask, registered !== null && caseFold(registered) === caseFold(mask) ? registered : null);
  if (!target) throw new ProtocolFault(ErrorCode.BAD_MESSAGE, `'${mask}' is neither a nick nor an address or CIDR block`);
  return target;
}

/**
 * Adds a ban or mute: a nick (a registered one names its account), an address or a block. A new mark
 * for the same target replaces the old one. Answers with the room's list.
 */
export async function addMark(hub: Hub, session: Session, list: MarkList, m: { room: string; mask: string; duration?: number; reason?: string; ref?: string }): Promise<void> {
  const room = operatedRoom(hub, session, m.room);
  const target = await targetOf(hub, m.mask);
  if (target.account !== undefined && target.account === room.policy?.owner) throw new ProtocolFault(ErrorCode.NOT_OPERATOR, `${m.mask} owns ${room.name}`);
  const now = Date.now();
  const mark: RoomMark = { ...target, by: session.nick!, reason: m.reason ?? '', created: now };
  if (m.duration !== undefined) mark.expires = now + m.duration * 1000;
  const action = list === 'bans' ? 'ban' : 'mute';
  const policy = await hub.engine.updatePolicy(room.key, room.name,
    (p) => ({ ...p, [list]: [...p[list].filter((x) => !sameTarget(x, target)), mark] }),
    notice(session, action, markName(mark, false), m.reason));
  await log(hub, session, room, action, markName(mark, true), m.reason, mark.expires);
  answerMarks(hub, session, room, policy, list, m.ref);
}

export async function removeMark(hub: Hub, session: Session, list: MarkList, m: { room: string; mask: string; ref?: string }): Promise<void> {
  const room = operatedRoom(hub, session, m.room);
  const target = await targetOf(hub, m.mask);
  const action = list === 'bans' ? 'unban' : 'unmute';
  let found = false;
  const policy = await hub.engine.updatePolicy(room.key, room.name, (p) => {
    const kept = p[list].filter((x) => !sameTarget(x, target));
    found = kept.length < p[list].length;
    return { ...p, [list]: kept };
  }, notice(session, action, m.mask));
  if (!found) throw new ProtocolFault(ErrorCode.BAD_MESSAGE, `${m.mask} is not ${list === 'bans' ? 'banned' : 'muted'} in ${room.name}`);
  await log(hub, session, room, action, m.mask);
  answerMarks(hub, session, room, policy, list, m.ref);
}

/** The room's bans (or mutes) in force, as `bans`; addresses are shown to server operators only. */
export function answerMarks(hub: Hub, session: Session, room: Room, policy: RoomPolicy | null, list: MarkList, ref: string | undefined): void {
  const now = Date.now();
  const showAddress = hub.actorOf(session).serverOperator;
  const bans: BanInfo[] = (policy?.[list] ?? []).filter((b) => b.expires === undefined || b.expires > now).map((b) => {
    const info: BanInfo = { mask: markName(b, showAddress), by: b.by, reason: b.reason, created: b.created };
    if (b.expires !== undefined) info.expires = b.expires;
    return info;
  });
  answer(hub, session, { type: 'bans', room: room.name, bans }, ref);
}

// mute { room, mask, duration?, reason? } -> moderation to the room; bans{room} (the mutes) to the operator
export const mute: CommandSpec<MuteMsg> = { handle: (hub, session, m) => addMark(hub, session, 'mutes', m) };
export const unmute: CommandSpec<UnmuteMsg> = { handle: (hub, session, m) => removeMark(hub, session, 'mutes', m) };

// role { room, account, role } -> moderation to the room
export const role: CommandSpec<RoleMsg> = {
  handle: async (hub, session, m) => {
    const room = operatedRoom(hub, session, m.room);
    const fold = caseFold(m.account);
    const account = await hub.engine.accounts.get(fold);
    if (!account) throw new ProtocolFault(ErrorCode.NO_SUCH_USER, `${m.account} is not a registered nick: roles go to accounts`);
    const actor = hub.actorOf(session);
    const owner = room.policy?.owner;
    // Operators give voice; only the owner (or a server operator) makes or unmakes operators.
    const touchesOps = m.role === 'op' || room.policy?.ops.includes(fold) === true;
    if (touchesOps && owner !== actor.account && !actor.serverOperator) {
      throw new ProtocolFault(ErrorCode.NOT_OPERATOR, `only ${room.name}'s owner may make or unmake operators`);
    }
    if (fold === owner) throw new ProtocolFault(ErrorCode.NOT_OPERATOR, `${account.name} owns ${room.name}`);
    await hub.engine.updatePolicy(room.key, room.name, (p) => ({
      ...p,
      ops: m.role === 'op' ? [...p.ops.filter((a) => a !== fold), fold] : p.ops.filter((a) => a !== fold),
      voiced: m.role === 'voice' ? [...p.voiced.filter((a) => a !== fold), fold] : p.voiced.filter((a) => a !== fold),
    }), notice(session, ROLE_ACTIONS[m.role], account.name));
    await log(hub, session, room, `role ${m.role}`, account.name);
    if (m.ref !== undefined) hub.send(session, { type: 'notice', text: `${account.name} is now ${m.role === 'none' ? 'a member' : m.role === 'op' ? 'an operator' : 'voiced'} in ${room.name}`, ref: m.ref });
  },
};

// invite { room, nick } -> invited{room, by} to nick; it may join the invite-only room once
export const invite: CommandSpec<InviteMsg> = {
  handle: async (hub, session, m) => {
    const room = operatedRoom(hub, session, m.room);
    const fold = caseFold(m.nick);
    const registered = await hub.engine.accounts.get(fold);
    await hub.engine.updatePolicy(room.key, room.name, (p) => ({ ...p, invites: [...p.invites.filter((i) => i !== fold), fold] }),
      notice(session, 'invite', registered?.name ?? m.nick));
    await hub.engine.notify(fold, { type: 'invited', room: room.name, by: session.nick! });
    await log(hub, session, room, 'invite', m.nick);
    if (m.ref !== undefined) hub.send(session, { type: 'notice', text: `${m.nick} is invited to ${room.name}`, ref: m.ref });
  },
};

// settings { room, inviteOnly?, key?, moderated?, secret?, topicOps?, limit? } -> moderation to the room
export const settings: CommandSpec<SettingsMsg> = {
  handle: async (hub, session, m) => {
    const room = operatedRoom(hub, session, m.room);
    const change = (current: RoomSettings): RoomSettings => {
      const next: RoomSettings = { ...current };
      const flag = (name: 'inviteOnly' | 'moderated' | 'secret' | 'topicOps', value: boolean | undefined) => {
        if (value === true) next[name] = true;
        else if (value === false) delete next[name];
      };
      flag('inviteOnly', m.inviteOnly);
      flag('moderated', m.moderated);
      flag('secret', m.secret);
      flag('topicOps', m.topicOps);
      if (m.key !== undefined) {
        if (m.key === '') delete next.key;
        else next.key = m.key;
      }
      if (m.limit !== undefined) {
        if (m.limit === 0) delete next.limit;
        else next.limit = m.limit;
      }
      return next;
    };
    let described = '';
    await hub.engine.updatePolicy(room.key, room.name, (p) => {
      const next = change(p.settings);
      described = describeSettings(next);
      return { ...p, settings: next };
    }, notice(session, SETTINGS_ACTION, describeSettings(change(room.policy?.settings ?? {}))));
    await log(hub, session, room, 'settings', described);
    if (m.ref !== undefined) hub.send(session, { type: 'notice', text: `${room.name} is now ${described}`, ref: m.ref });
  },
};
