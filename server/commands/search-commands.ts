import { ErrorCode, ProtocolFault } from '../../shared/errors.js';
import { HISTORY_ON_JOIN } from '../../shared/limits.js';
import type { SearchMsg } from '../../shared/protocol.js';
import { searchWords } from '../../shared/search.js';
import { caseFold } from '../../shared/validate.js';
import type { HistoryPage } from '../engine/engine.js';
import { Outgoing } from '../outgoing.js';
import { outsider } from './room-commands.js';
import type { CommandSpec } from './types.js';

const NO_MATCHES: HistoryPage = { messages: [], more: false };

// search { room, query, before?, limit? } -> search{room, query, messages (oldest first), more, ref?}
// Read as history is read: the same privacy, the same page cut, charged by size; refused in a cluster
// before anything is looked at, so the refusal tells nothing about the room.
export const search: CommandSpec<SearchMsg> = {
  handle: async (hub, session, m) => {
    const find = hub.engine.search;
    if (!find) {
      throw new ProtocolFault(ErrorCode.UNSUPPORTED, 'search needs the single-node server (SQLite): this server runs as part of a cluster');
    }
    const answer = (page: HistoryPage) => hub.reply(session, new Outgoing({
      type: 'search', room: m.room, query: m.query, ...page, ...(m.ref === undefined ? {} : { ref: m.ref }),
    }));
    if (await outsider(hub, session, m.room) === 'hidden') return answer(NO_MATCHES);
    const before = m.before ?? Number.MAX_SAFE_INTEGER;
    const room = hub.room(m.room);
    // Messages stored but not yet delivered here are about to arrive live, as for history.
    const upTo = room ? Math.min(before, room.deliveredSeq + 1) : before;
    answer(await find(caseFold(m.room), room?.name ?? m.room, searchWords(m.query), upTo, m.limit ?? HISTORY_ON_JOIN));
  },
};
