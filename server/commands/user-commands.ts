import { ErrorCode, ProtocolFault } from '../../shared/errors.js';
import type { AwayMsg, StatsMsg, WhoisMsg } from '../../shared/protocol.js';
import { caseFold } from '../../shared/validate.js';
import { awayEvent } from '../away.js';
import type { CommandSpec } from './types.js';

// away { reason? } -> away{nick, reason?} to the sender (with ref) and its other terminals, and to those
// sharing a room with it; no reason (or a blank one): back
export const away: CommandSpec<AwayMsg> = {
  handle: async (hub, session, m) => {
    const reason = m.reason?.trim() || null;
    const user = session.user;
    if (reason !== user.away) {
      const member = hub.memberOf(session);
      if (reason === null) delete member.away;
      else member.away = reason;
      await hub.whenApplied(`away:${user.id}`, () => hub.engine.setAway(member, user.rooms.map((r) => r.key)));
    }
    const answer = awayEvent(user.nick!, reason);
    hub.sendToOtherTerminals(session, answer);
    hub.send(session, m.ref === undefined ? answer : { ...answer, ref: m.ref });
  },
};

// whois { nick } -> whois{nick, account?, away?}, asked of the node holding the nick; NO_SUCH_USER otherwise
export const whois: CommandSpec<WhoisMsg> = {
  handle: async (hub, session, m) => {
    const info = await hub.engine.whois(caseFold(m.nick));
    if (session.closed) return;
    if (!info) throw new ProtocolFault(ErrorCode.NO_SUCH_USER, `no user is called ${m.nick}`);
    hub.send(session, m.ref === undefined ? { type: 'whois', ...info } : { type: 'whois', ...info, ref: m.ref });
  },
};

// stats {} -> stats{users, rooms, servers, localUsers, maxLocalUsers, operators}: the cluster's users and
// rooms when there is one (the engine's directory), this node's otherwise
export const stats: CommandSpec<StatsMsg> = {
  handle: async (hub, session, m) => {
    const local = hub.localCounts();
    const all = (await hub.engine.counts()) ?? { users: local.users, rooms: local.rooms, servers: 1 };
    if (session.closed) return;
    hub.send(session, {
      type: 'stats', users: all.users, rooms: all.rooms, servers: all.servers,
      localUsers: local.users, maxLocalUsers: local.peakUsers, operators: local.operators, ...(m.ref === undefined ? {} : { ref: m.ref }),
    });
  },
};
