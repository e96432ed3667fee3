/**
 * How IRC names map onto ours. Our nicks and rooms are ASCII (shared/validate.ts) and caseFold lowers
 * A-Z and nothing else, which is IRC's `ascii` casemapping: `[` and `{` stay different names, so
 * advertising `rfc1459` would be a lie. Our room names already start with '#' and use only characters
 * IRC allows in channel names, so a room is its own channel name.
 */
import { normalizeRoom } from '../../shared/validate.js';

export const CASEMAPPING = 'ascii';
export const CHANTYPES = '#';

/** IRC's ascii casemapping; equal to caseFold on every name our rules accept. */
export function asciiFold(name: string): string {
  return name.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/** Whether a PRIVMSG, NOTICE or MODE target names a channel rather than a nick. */
export function isChannelName(target: string): boolean {
  return target.startsWith(CHANTYPES);
}

/**
 * The room a channel name names, or null when it is not one of ours (answer 403 or 476). Unlike our JSON
 * protocol no '#' is added: on IRC a name without one is a nick.
 */
export function roomFromChannel(channel: string): string | null {
  return isChannelName(channel) ? normalizeRoom(channel) : null;
}

/** The channel name of a room: the room name itself. */
export function channelFromRoom(room: string): string {
  return room;
}
