import { ErrorCode, ProtocolFault } from '../../shared/errors.js';
import { LOBBY, PROTOCOL_VERSION } from '../../shared/limits.js';
import type { HelloMsg, NickMsg, PingMsg, QuitMsg, ServerMessage } from '../../shared/protocol.js';
import { joinRoom } from './room-commands.js';
import type { CommandSpec } from './types.js';

// hello { nick } -> welcome, then the join of #lobby
export const hello: CommandSpec<HelloMsg> = {
  preRegistration: true,
  handle: async (hub, session, m) => {
    if (session.registered) throw new ProtocolFault(ErrorCode.ALREADY_REGISTERED, 'already registered');
    if (!(await hub.engine.claimNick(m.nick, session.id))) throw new ProtocolFault(ErrorCode.NICK_TAKEN, `nick ${m.nick} is taken`);
    if (session.closed) return void (await hub.engine.releaseNick(m.nick, session.id));
    hub.holdNick(session, m.nick);
    if (session.registrationTimer) clearTimeout(session.registrationTimer);
    session.registrationTimer = null;
    const welcome: ServerMessage = {
      type: 'welcome', sid: session.id, nick: m.nick, server: hub.config.serverName, version: PROTOCOL_VERSION,
    };
    if (hub.config.motd) welcome.motd = hub.config.motd;
    welcome.limits = { rate: hub.config.rateLimit, burst: hub.config.rateBurst };
    hub.send(session, welcome);
    await joinRoom(hub, session, LOBBY);
  },
};

// nick { nick } -> nick{old, new} to everyone sharing a room, and to the sender
export const nick: CommandSpec<NickMsg> = {
  handle: async (hub, session, m) => {
    const old = session.nick!;
    if (m.nick === old) return hub.send(session, { type: 'nick', old, new: m.nick });
    const member = { ...hub.memberOf(session), nick: m.nick };
    await hub.whenApplied(`nick:${session.id}`, async () => {
      if (!(await hub.engine.rename(member, old, session.rooms.map((r) => r.key)))) {
        throw new ProtocolFault(ErrorCode.NICK_TAKEN, `nick ${m.nick} is taken`);
      }
    });
  },
};

// ping { ref? } -> pong{ref}
export const ping: CommandSpec<PingMsg> = {
  preRegistration: true,
  handle: (hub, session, m) => hub.send(session, m.ref === undefined ? { type: 'pong' } : { type: 'pong', ref: m.ref }),
};

// quit { reason? } -> left in every room, bye, close
export const quit: CommandSpec<QuitMsg> = {
  preRegistration: true,
  handle: (hub, session, m) => {
    hub.disconnect(session, m.reason ?? 'quit');
    session.peer.close('quit');
  },
};
