/** The command table: one entry per client message type; a missing one fails to compile. */
import { history, join, locate, part, rooms, topic, who } from './room-commands.js';
import { dm, say } from './message-commands.js';
import { hello, nick, ping, quit } from './session-commands.js';
import { drop, ghost, identify, password, register } from './account-commands.js';
import { ban, bans, kill, makeOperator, unban } from './operator-commands.js';
import { invite, kick, mute, role, settings, unmute } from './moderation-commands.js';
import { search } from './search-commands.js';
import { away, stats, whois } from './user-commands.js';
import { read } from './read-commands.js';
import type { CommandTable } from './types.js';

export const COMMANDS = {
  hello, nick, ping, quit, join, part, topic, history, locate, search, rooms, who, say, dm,
  register, identify, password, drop, ghost,
  operator: makeOperator, kill, ban, unban, bans,
  kick, mute, unmute, role, invite, settings,
  away, whois, stats, read,
} satisfies CommandTable;

export type { CommandSpec } from './types.js';
