import { nanoid } from 'nanoid';
import { ErrorCode, ProtocolFault } from '../../shared/errors.js';
import type { DmEvt, DmMsg, SayMsg } from '../../shared/protocol.js';
import { caseFold } from '../../shared/validate.js';
import type { DirectMessage } from '../engine/engine.js';
import { canSpeak } from '../moderation/policy.js';
import type { CommandSpec } from './types.js';

// say { room, text, action?, ref? } -> message (all members, once stored), ack{ref} (sender, after it)
export const say: CommandSpec<SayMsg> = {
  handle: (hub, session, m) => {
    const room = hub.memberRoom(session, m.room);
    if (session.account === null && hub.accountRooms.has(room.key)) {
      throw new ProtocolFault(ErrorCode.ACCOUNT_REQUIRED, `only logged-in users may speak in ${room.name}: register or identify first`);
    }
    // Most rooms have no policy: nothing more to look at for each message.
    if (room.policy && !canSpeak(room.policy, hub.actorOf(session), Date.now())) {
      throw new ProtocolFault(ErrorCode.MUTED, room.policy?.settings.moderated
        ? `${room.name} is moderated: only its operators and voiced users speak`
        : `you are muted in ${room.name}`);
    }
    // Every member must read what the room says: past its byte rate the room refuses, so no group of
    // talkers can push its readers into being dropped as slow consumers.
    if (!room.traffic.take(Buffer.byteLength(m.text))) {
      throw new ProtocolFault(ErrorCode.RATE_LIMITED, `${room.name} is getting more text than its members can read; try again shortly`);
    }
    hub.post(session, room, m.text, m.action === true, m.ref);
  },
};

// dm { to, text, action?, ref? } -> dm (target), then the sender's copy with ref (and the target's away
// text, when it is away) once delivered, and the copy without either to the sender's other terminals
export const dm: CommandSpec<DmMsg> = {
  handle: async (hub, session, m) => {
    const dm: DirectMessage = { id: nanoid(), from: session.nick!, to: m.to, text: m.text, ts: Date.now() };
    if (m.action) dm.action = true;
    if (session.account !== null) dm.account = session.account;
    const toFold = caseFold(m.to);
    let away: string | undefined;
    if (toFold === session.nickKey) {
      dm.to = session.nick!;
    } else {
      const receipt = await hub.engine.sendDm(toFold, dm);
      if (receipt.outcome === 'no-such-user') throw new ProtocolFault(ErrorCode.NO_SUCH_USER, `no user is called ${m.to}`);
      if (receipt.outcome === 'busy') throw new ProtocolFault(ErrorCode.RATE_LIMITED, `${dm.to} is being sent more than they can read; try again shortly`);
      // The target's nick as it spells it, from its node.
      if (receipt.to) dm.to = receipt.to;
      away = receipt.away;
    }
    // The user's other terminals show the conversation too.
    hub.sendToOtherTerminals(session, { type: 'dm', ...dm });
    const copy: DmEvt = m.ref === undefined ? { type: 'dm', ...dm } : { type: 'dm', ...dm, ref: m.ref };
    // The sender is told the target is away on its own copy only.
    if (away !== undefined) copy.away = away;
    hub.send(session, copy);
  },
};
