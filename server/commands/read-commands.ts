import { ErrorCode, ProtocolFault } from '../../shared/errors.js';
import type { ReadMsg } from '../../shared/protocol.js';
import { caseFold } from '../../shared/validate.js';
import type { Session } from '../session.js';
import type { CommandSpec } from './types.js';

function accountOf(session: Session): string {
  if (session.account === null) throw new ProtocolFault(ErrorCode.ACCOUNT_REQUIRED, 'read markers are kept for accounts: register or identify first');
  return caseFold(session.account);
}

// read { room, seq } -> read{room, seq, ref} to the sender when it gave a ref (the marker as it is now),
// read{room, seq} to the account's other terminals when the marker moved; accounts only, in rooms they are in
export const read: CommandSpec<ReadMsg> = {
  handle: async (hub, session, m) => {
    const account = accountOf(session);
    hub.memberRoom(session, m.room);
    await hub.markers.open(account);
    if (session.closed) return;
    // Looked at again: the session may have logged out or left the room while the markers were read.
    if (accountOf(session) !== account) throw new ProtocolFault(ErrorCode.ACCOUNT_REQUIRED, 'you are no longer logged in to that account');
    const room = hub.memberRoom(session, m.room);
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
