import { ErrorCode, ProtocolFault } from '../../shared/errors.js';
import type { ReadMsg } from '../../shared/protocol.js';
import { caseFold } from '../../shared/validate.js';
import type { CommandSpec } from './types.js';

// read { room, seq } -> read{room, seq, ref} to the sender when it gave a ref (the marker as it is now),
// read{room, seq} to the account's other terminals when the marker moved; accounts only, in rooms they are in
export const read: CommandSpec<ReadMsg> = {
  handle: async (hub, session, m) => {
    if (session.account === null) {
      throw new ProtocolFault(ErrorCode.ACCOUNT_REQUIRED, 'read markers are kept for accounts: register or identify first');
    }
    const account = caseFold(session.account);
    const room = hub.memberRoom(session, m.room);
    await hub.markers.open(account);
    if (session.closed || session.account === null || caseFold(session.account) !== account) return;
    // Past the newest message here: the newest, so a marker never covers messages not said yet.
    const seq = Math.min(m.seq, room.deliveredSeq);
    const { marker, moved } = hub.markers.move(account, room.key, room.name, seq, (key) => session.rooms.some((r) => r.key === key));
    if (moved) {
      for (const user of hub.markers.users(account)) {
        for (const other of user.sessions) if (other !== session) hub.send(other, { type: 'read', room: room.name, seq: marker.seq });
      }
    }
    if (m.ref !== undefined) hub.send(session, { type: 'read', room: room.name, seq: marker.seq, ref: m.ref });
  },
};
