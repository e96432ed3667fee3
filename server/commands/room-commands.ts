import { HISTORY_ON_JOIN } from '../../shared/limits.js';
import type { HistoryMsg, JoinMsg, PartMsg, RoomsMsg, TopicMsg, WhoMsg } from '../../shared/protocol.js';
import { Outgoing } from '../outgoing.js';
import type { CommandSpec } from './types.js';

// join { room } -> joined (all members), then history + who (joiner)
export const join: CommandSpec<JoinMsg> = {
  handle: (hub, session, m) => hub.join(session, m.room),
};

// part { room, reason? } -> left (all members, the leaver included)
export const part: CommandSpec<PartMsg> = {
  handle: (hub, session, m) => hub.part(session, m.room, m.reason),
};

// topic { room, topic } -> topic (all members)
export const topic: CommandSpec<TopicMsg> = {
  handle: (hub, session, m) => hub.setTopic(session, m.room, m.topic),
};

// history { room, before?, limit? } -> history{room, messages (oldest first), more}
export const history: CommandSpec<HistoryMsg> = {
  handle: (hub, session, m) => {
    const page = hub.history(m.room, m.before ?? Number.MAX_SAFE_INTEGER, m.limit ?? HISTORY_ON_JOIN);
    hub.reply(session, new Outgoing({ type: 'history', room: m.room, ...page }));
  },
};

// rooms { from? } -> rooms{rooms: [{name, users, topic}], total, more, next?}
export const rooms: CommandSpec<RoomsMsg> = {
  handle: (hub, session, m) => hub.reply(session, new Outgoing(hub.roomList(m.from))),
};

// who { room } -> who{room, users, total}
export const who: CommandSpec<WhoMsg> = {
  handle: (hub, session, m) => hub.reply(session, hub.who(m.room)),
};
