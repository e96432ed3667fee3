import type { HelloMsg, NickMsg, PingMsg, QuitMsg } from '../../shared/protocol.js';
import type { CommandSpec } from './types.js';

// hello { nick } -> welcome, then the join of #lobby
export const hello: CommandSpec<HelloMsg> = {
  preRegistration: true,
  handle: (hub, session, m) => hub.register(session, m.nick),
};

// nick { nick } -> nick{old, new} to everyone sharing a room, and to the sender
export const nick: CommandSpec<NickMsg> = {
  handle: (hub, session, m) => hub.changeNick(session, m.nick),
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
