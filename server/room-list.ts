import { REPLY_MAX_BYTES } from '../shared/limits.js';
import type { RoomInfo, RoomsEvt } from '../shared/protocol.js';

/** Largest first, then by name: the order `rooms` pages through. */
export function sortRoomList(list: RoomInfo[]): RoomInfo[] {
  return list.sort((a, b) => b.users - a.users || a.name.localeCompare(b.name));
}

/** One page of the room list from the `from`th room, cut at REPLY_MAX_BYTES. */
export function roomListPage(all: readonly RoomInfo[], from: number): RoomsEvt {
  const rooms: RoomInfo[] = [];
  let bytes = 0;
  for (let i = from; i < all.length; i++) {
    const info = all[i]!;
    bytes += info.name.length + Buffer.byteLength(info.topic) + 40;
    if (bytes > REPLY_MAX_BYTES && rooms.length > 0) break;
    rooms.push(info);
  }
  const next = from + rooms.length;
  return next < all.length
    ? { type: 'rooms', rooms, total: all.length, more: true, next }
    : { type: 'rooms', rooms, total: all.length, more: false };
}
