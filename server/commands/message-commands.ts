import type { DmMsg, SayMsg } from '../../shared/protocol.js';
import type { CommandSpec } from './types.js';

// say { room, text, action?, ref? } -> message (all members, once stored), ack{ref} (sender)
export const say: CommandSpec<SayMsg> = {
  handle: (hub, session, m) => hub.say(session, m.room, m.text, m.action === true, m.ref),
};

// dm { to, text, action?, ref? } -> dm (target, and the sender with ref)
export const dm: CommandSpec<DmMsg> = {
  handle: (hub, session, m) => hub.dm(session, m.to, m.text, m.action === true, m.ref),
};
