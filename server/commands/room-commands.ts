import { ErrorCode, ProtocolFault } from '../../shared/errors.js';
import { HISTORY_ON_JOIN, WHO_MAX } from '../../shared/limits.js';
import type { HistoryMsg, JoinMsg, PartMsg, RoomsMsg, TopicMsg, WhoMsg } from '../../shared/protocol.js';
import { caseFold } from '../../shared/validate.js';
import type { HistoryPage } from '../engine/engine.js';
import type { Hub } from '../hub.js';
import { Outgoing } from '../outgoing.js';
import { roomListPage } from '../room-list.js';
import type { Session } from '../session.js';
import type { CommandSpec } from './types.js';

/**
 * Joins `session` to a room: joined (all members), then history and who (the joiner), when the engine's
 * join event is applied. A repeated join is answered here, to the joiner only.
 */
export async function joinRoom(hub: Hub, session: Session, name: string): Promise<void> {
  const served = hub.room(name);
  if (served?.members.has(session)) {
    hub.sendShared(session, new Outgoing({ type: 'joined', room: served.name, nick: session.nick!, ts: Date.now() }));
    return hub.welcomeToRoom(session, served);
  }
  const { maxRooms, maxRoomsPerConnection, maxRoomMembers } = hub.config;
  if (session.rooms.length >= maxRoomsPerConnection) {
    throw new ProtocolFault(ErrorCode.TOO_MANY_ROOMS, `you are in ${session.rooms.length} rooms, the most one connection may be in; part one first`);
  }
  if (!served && hub.roomCount >= maxRooms) {
    throw new ProtocolFault(ErrorCode.TOO_MANY_ROOMS, `the server holds its maximum of ${maxRooms} rooms; join an existing one`);
  }
  const key = caseFold(name);
  const room = await hub.rooms.enter(key, name);
  try {
    if (session.closed) return;
    if (room.total >= maxRoomMembers) throw new ProtocolFault(ErrorCode.ROOM_FULL, `${room.name} is full (${maxRoomMembers} members)`);
    await hub.whenApplied(`join:${session.id}:${key}`, () => hub.engine.join(key, room.name, hub.memberOf(session)));
  } finally {
    hub.rooms.settle(room);
  }
}

// join { room } -> joined (all members), then history + who (joiner)
export const join: CommandSpec<JoinMsg> = {
  handle: (hub, session, m) => joinRoom(hub, session, m.room),
};

// part { room, reason? } -> left (all members, the leaver included)
export const part: CommandSpec<PartMsg> = {
  handle: (hub, session, m) => {
    const room = hub.memberRoom(session, m.room);
    return hub.whenApplied(`part:${session.id}:${room.key}`, () => hub.engine.part(room.key, room.name, hub.memberOf(session), m.reason));
  },
};

// topic { room, topic } -> topic (all members)
export const topic: CommandSpec<TopicMsg> = {
  handle: (hub, session, m) => {
    if (Buffer.byteLength(m.topic) > hub.config.maxTopicBytes) {
      throw new ProtocolFault(ErrorCode.TEXT_INVALID, `topic is over ${hub.config.maxTopicBytes} bytes`);
    }
    const room = hub.memberRoom(session, m.room);
    return hub.engine.setTopic(room.key, room.name, m.topic, session.nick!);
  },
};

// history { room, before?, limit? } -> history{room, messages (oldest first), more}
// A page as members here have seen it: messages stored but not yet delivered are about to arrive live.
export const history: CommandSpec<HistoryMsg> = {
  handle: (hub, session, m) => {
    const before = m.before ?? Number.MAX_SAFE_INTEGER;
    const limit = m.limit ?? HISTORY_ON_JOIN;
    const room = hub.room(m.room);
    const upTo = room ? Math.min(before, room.deliveredSeq + 1) : before;
    const page = room?.recentPage(upTo, limit) ?? hub.engine.page(caseFold(m.room), room?.name ?? m.room, upTo, limit);
    const answer = (p: HistoryPage) => hub.reply(session, new Outgoing({ type: 'history', room: m.room, ...p }));
    return page instanceof Promise ? page.then(answer) : answer(page);
  },
};

// rooms { from? } -> rooms{rooms: [{name, users, topic}], total, more, next?}
export const rooms: CommandSpec<RoomsMsg> = {
  handle: async (hub, session, m) => {
    const all = await (hub.engine.roomDirectory() ?? hub.rooms.sortedList());
    hub.reply(session, new Outgoing(roomListPage(all, m.from ?? 0)));
  },
};

// who { room } -> who{room, users, total}
export const who: CommandSpec<WhoMsg> = {
  handle: async (hub, session, m) => {
    const room = hub.room(m.room);
    if (room) return hub.reply(session, room.who());
    // Not served here: on one node that means empty; in a cluster, members may be elsewhere.
    const members = hub.engine.shared ? (await hub.engine.openRoom(caseFold(m.room), m.room)).members : [];
    hub.reply(session, new Outgoing({ type: 'who', room: m.room, users: members.slice(0, WHO_MAX).map((r) => r.nick), total: members.length }));
  },
};
