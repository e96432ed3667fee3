import { ErrorCode, ProtocolFault } from '../../shared/errors.js';
import { HISTORY_ON_JOIN, LOBBY, WHO_MAX } from '../../shared/limits.js';
import type { HistoryMsg, JoinMsg, LocateMsg, PartMsg, RoomsMsg, ServerMessage, TopicMsg, WhoEvt, WhoMsg } from '../../shared/protocol.js';
import { caseFold } from '../../shared/validate.js';
import type { HistoryPage } from '../engine/engine.js';
import { findMark, hasRoles, isHidden, isInvited, isOperator, isPublic, roleOf, type RoomPolicy } from '../moderation/policy.js';
import { learnAddress } from '../moderation/apply-policy.js';
import { accountOf, type Room } from '../room.js';
import type { Hub } from '../hub.js';
import { Outgoing } from '../outgoing.js';
import { roomListPage } from '../room-list.js';
import type { Session } from '../session.js';
import type { CommandSpec } from './types.js';

/**
 * Joins `session` to a room: joined (all members), then history and who (the joiner), when the engine's
 * join event is applied. A repeated join is answered here, to the joiner only.
 */
export async function joinRoom(hub: Hub, session: Session, name: string, key?: string): Promise<void> {
  const served = hub.room(name);
  if (served?.members.has(session.user)) {
    hub.sendShared(session, new Outgoing(served.joinedEvent(hub.memberOf(session), Date.now())));
    return hub.welcomeToRoom(session, served);
  }
  const { maxRooms, maxRoomsPerConnection, maxRoomMembers } = hub.config;
  if (session.rooms.length >= maxRoomsPerConnection) {
    throw new ProtocolFault(ErrorCode.TOO_MANY_ROOMS, `you are in ${session.rooms.length} rooms, the most one connection may be in; part one first`);
  }
  if (!served && hub.roomCount >= maxRooms) {
    throw new ProtocolFault(ErrorCode.TOO_MANY_ROOMS, `the server holds its maximum of ${maxRooms} rooms; join an existing one`);
  }
  const roomKey = caseFold(name);
  const room = await hub.rooms.enter(roomKey, name);
  try {
    if (session.closed) return;
    if (room.total >= maxRoomMembers) throw new ProtocolFault(ErrorCode.ROOM_FULL, `${room.name} is full (${maxRoomMembers} members)`);
    const admitted = admitToRoom(hub, session, room, key);
    await hub.whenApplied(`join:${session.user.id}:${roomKey}`, () => hub.engine.join(roomKey, room.name, hub.memberOf(session)));
    await afterJoin(hub, session, room, admitted);
  } finally {
    hub.rooms.settle(room);
  }
}

/** Why the room's policy keeps `session` out (banned, not invited, wrong key, full), or how it let it in. */
function admitToRoom(hub: Hub, session: Session, room: Room, key: string | undefined): 'creator' | 'invited' | 'member' {
  const policy = room.policy;
  const actor = hub.actorOf(session);
  let invited = false;
  if (policy && !isOperator(policy, actor)) {
    const banned = findMark(policy.bans, actor, Date.now());
    if (banned) learnAddress(hub, room, banned, actor);
    if (banned) throw new ProtocolFault(ErrorCode.BANNED, `you are banned from ${room.name}${banned.reason ? `: ${banned.reason}` : ''}`);
    invited = isInvited(policy, actor);
    if (policy.settings.inviteOnly && !invited) throw new ProtocolFault(ErrorCode.INVITE_ONLY, `${room.name} is invite-only: ask one of its operators for an invite`);
    if (policy.settings.key !== undefined && key !== policy.settings.key && !invited) {
      throw new ProtocolFault(ErrorCode.BAD_KEY, key === undefined ? `${room.name} needs a key: join ${room.name} <key>` : `wrong key for ${room.name}`);
    }
    if (policy.settings.limit !== undefined && room.total >= policy.settings.limit) {
      throw new ProtocolFault(ErrorCode.ROOM_FULL, `${room.name} is full (its limit is ${policy.settings.limit})`);
    }
  }
  if (room.total === 0 && !policy?.owner && actor.account !== null && room.key !== LOBBY) return 'creator';
  return invited ? 'invited' : 'member';
}

/**
 * A logged-in user who made a new room owns it; an invite is used up by the join it let in. Both are
 * stored before the join is answered, so the next request sees them; a failure to store is only logged.
 */
async function afterJoin(hub: Hub, session: Session, room: Room, admitted: ReturnType<typeof admitToRoom>): Promise<void> {
  const actor = hub.actorOf(session);
  let change: ((p: RoomPolicy) => RoomPolicy) | null = null;
  if (admitted === 'creator' && actor.account !== null) {
    const owner = actor.account;
    change = (p) => (p.owner ? p : { ...p, owner });
  } else if (admitted === 'invited') {
    change = (p) => ({ ...p, invites: p.invites.filter((i) => i !== actor.nickFold && i !== actor.account) });
  }
  if (change) await hub.engine.updatePolicy(room.key, room.name, change).catch((err: unknown) => hub.quietly(Promise.reject(err), admitted));
}

// join { room } -> joined (all members), then history + who (joiner)
export const join: CommandSpec<JoinMsg> = {
  handle: (hub, session, m) => joinRoom(hub, session, m.room, m.key),
};

// part { room, reason? } -> left (all members, the leaver included)
export const part: CommandSpec<PartMsg> = {
  handle: (hub, session, m) => {
    const room = hub.memberRoom(session, m.room);
    return hub.whenApplied(`part:${session.user.id}:${room.key}`, () => hub.engine.part(room.key, room.name, hub.memberOf(session), m.reason));
  },
};

// topic { room, topic } -> topic (all members)
export const topic: CommandSpec<TopicMsg> = {
  handle: (hub, session, m) => {
    if (Buffer.byteLength(m.topic) > hub.config.maxTopicBytes) {
      throw new ProtocolFault(ErrorCode.TEXT_INVALID, `topic is over ${hub.config.maxTopicBytes} bytes`);
    }
    const room = hub.memberRoom(session, m.room);
    if (room.policy?.settings.topicOps && !isOperator(room.policy, hub.actorOf(session))) {
      throw new ProtocolFault(ErrorCode.NOT_OPERATOR, `only ${room.name}'s operators may set its topic`);
    }
    return hub.engine.setTopic(room.key, room.name, m.topic, session.nick!);
  },
};

// history { room, before?, after?, limit? } -> history{room, messages (oldest first), more}
// A page as members here have seen it: messages stored but not yet delivered are about to arrive live.
export const history: CommandSpec<HistoryMsg> = {
  handle: async (hub, session, m) => {
    if (await outsider(hub, session, m.room) === 'hidden') {
      return hub.reply(session, new Outgoing({ type: 'history', room: m.room, messages: [], more: false }));
    }
    const before = m.before ?? Number.MAX_SAFE_INTEGER;
    const limit = m.limit ?? HISTORY_ON_JOIN;
    const room = hub.room(m.room);
    const upTo = room ? Math.min(before, room.deliveredSeq + 1) : before;
    const name = room?.name ?? m.room;
    const page = m.after !== undefined
      ? hub.engine.pageAfter(caseFold(m.room), name, m.after, upTo, limit)
      : room?.recentPage(upTo, limit) ?? hub.engine.page(caseFold(m.room), name, upTo, limit);
    const answer = (p: HistoryPage) => hub.reply(session, new Outgoing({ type: 'history', room: m.room, ...p }));
    return page instanceof Promise ? page.then(answer) : answer(page);
  },
};

/**
 * Whether `session` may read a room's history and members without being in it: yes for a public room
 * it is not banned from. A secret or invite-only room answers as an empty one would ('hidden'); any
 * other room with settings, or a ban, is NOT_IN_ROOM.
 */
export async function outsider(hub: Hub, session: Session, name: string): Promise<'member' | 'allowed' | 'hidden'> {
  const served = hub.room(name);
  if (served?.members.has(session.user)) return 'member';
  const policy = served ? served.policy : await hub.engine.policy(caseFold(name));
  if (!policy) return 'allowed';
  const actor = hub.actorOf(session);
  if (isOperator(policy, actor)) return 'allowed';
  if (isHidden(policy)) return 'hidden';
  if (findMark(policy.bans, actor, Date.now())) throw new ProtocolFault(ErrorCode.NOT_IN_ROOM, `you are banned from ${name}`);
  if (!isPublic(policy)) throw new ProtocolFault(ErrorCode.NOT_IN_ROOM, `join ${name} to read it`);
  return 'allowed';
}

// locate { room, id? | ts? } -> located{room, seq?} (the same privacy as history)
export const locate: CommandSpec<LocateMsg> = {
  handle: async (hub, session, m) => {
    if ((m.id === undefined) === (m.ts === undefined)) throw new ProtocolFault(ErrorCode.BAD_MESSAGE, 'locate needs one of id or ts');
    const anchor = m.id !== undefined ? { id: m.id } : { ts: m.ts! };
    const hidden = await outsider(hub, session, m.room) === 'hidden';
    const room = hub.room(m.room);
    const inWindow = hidden ? ('id' in anchor ? null : 0) : room?.locate(anchor);
    let seq = inWindow !== undefined ? inWindow : await hub.engine.locate(caseFold(m.room), anchor);
    // Not past what members here have been delivered.
    if (room && seq !== null && seq > room.deliveredSeq) seq = 'id' in anchor ? null : room.deliveredSeq;
    const out: ServerMessage = { type: 'located', room: room?.name ?? m.room };
    if (seq !== null && seq !== undefined) out.seq = seq;
    if (m.ref !== undefined) out.ref = m.ref;
    hub.reply(session, new Outgoing(out));
  },
};

// rooms { from? } -> rooms{rooms: [{name, users, topic}], total, more, next?}
export const rooms: CommandSpec<RoomsMsg> = {
  handle: async (hub, session, m) => {
    const all = await (hub.engine.roomDirectory() ?? hub.rooms.sortedList());
    hub.reply(session, new Outgoing(roomListPage(all, m.from ?? 0)));
  },
};

// who { room } -> who{room, users, total, topic?, away?, accounts?, ops?, voiced?, settings?}
export const who: CommandSpec<WhoMsg> = {
  handle: async (hub, session, m) => {
    if (await outsider(hub, session, m.room) === 'hidden') {
      return hub.reply(session, new Outgoing({ type: 'who', room: m.room, users: [], total: 0 }));
    }
    const room = hub.room(m.room);
    if (room) return hub.reply(session, room.who());
    // Not served here: on one node that means empty; in a cluster, members may be elsewhere.
    const snapshot = hub.engine.shared ? await hub.engine.openRoom(caseFold(m.room), m.room) : null;
    const members = snapshot?.members ?? [];
    const listed = members.slice(0, WHO_MAX);
    const answer: WhoEvt = { type: 'who', room: m.room, users: listed.map((r) => r.nick), total: members.length };
    const away = listed.filter((r) => r.away).map((r) => r.nick);
    if (away.length > 0) answer.away = away;
    if (listed.some((r) => r.account)) answer.accounts = listed.map((r) => r.account ?? null);
    // As a room served here lists them (Room.who): member refs carry the accounts roles go by.
    const policy = snapshot?.policy ?? null;
    if (hasRoles(policy)) {
      const holding = (role: 'op' | 'voice') => listed.filter((r) => roleOf(policy, accountOf(r)) === role).map((r) => r.nick);
      const [ops, voiced] = [holding('op'), holding('voice')];
      if (ops.length > 0) answer.ops = ops;
      if (voiced.length > 0) answer.voiced = voiced;
    }
    if (policy && Object.keys(policy.settings).length > 0) answer.settings = { ...policy.settings };
    hub.reply(session, new Outgoing(answer));
  },
};
