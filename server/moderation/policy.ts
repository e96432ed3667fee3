/**
 * A room's moderation state: its owner, roles, bans, mutes, invites and settings, as the engine stores
 * it (one JSON record per room) and every node serving the room keeps a copy of. Pure functions only:
 * who may do what, and whether a user matches a ban.
 */
import type { RoomRole, RoomSettingsInfo } from '../../shared/protocol.js';
import { caseFold } from '../../shared/validate.js';
import { banList, isBanned, parseBanMask } from '../server-bans.js';

/** Who a ban or mute is for: an account, a guest's nick, or an address block (any of them matching). */
export interface RoomMark {
  account?: string;
  nick?: string;
  /** An address or CIDR block; never shown to anyone but server operators. */
  address?: string;
  by: string;
  reason: string;
  created: number;
  expires?: number;
}

/** As members are shown them (shared/protocol.ts). */
export type RoomSettings = RoomSettingsInfo;

export interface RoomPolicy {
  /** The folded account that created the room, if a logged-in user did. */
  owner?: string;
  /** Folded accounts. */
  ops: string[];
  voiced: string[];
  bans: RoomMark[];
  mutes: RoomMark[];
  /** Folded accounts or nicks let into an invite-only room once. */
  invites: string[];
  settings: RoomSettings;
}

/** Who is asking, as the node holding their connection sees them. */
export interface Actor {
  nickFold: string;
  /** Folded account, or null for a guest. */
  account: string | null;
  address: string;
  /** A server operator (acts as a room operator everywhere). */
  serverOperator: boolean;
}

export function emptyPolicy(): RoomPolicy {
  return { ops: [], voiced: [], bans: [], mutes: [], invites: [], settings: {} };
}

/** Rooms without settings (and #lobby) are public: anyone may read their history and members. */
export function isPublic(policy: RoomPolicy | null): boolean {
  return !policy || Object.keys(policy.settings).length === 0;
}

/** Secret and invite-only rooms are hidden from outsiders: not listed, and who/history answer as for an empty room. */
export function isHidden(policy: RoomPolicy | null): boolean {
  return policy?.settings.secret === true || policy?.settings.inviteOnly === true;
}

export function isInvited(policy: RoomPolicy, actor: Actor): boolean {
  return policy.invites.includes(actor.nickFold) || (actor.account !== null && policy.invites.includes(actor.account));
}

/** The settings as members are shown them (the key itself never). */
export function describeSettings(settings: RoomSettings): string {
  const parts: string[] = [];
  if (settings.inviteOnly) parts.push('invite-only');
  if (settings.key !== undefined) parts.push('key');
  if (settings.moderated) parts.push('moderated');
  if (settings.secret) parts.push('secret');
  if (settings.topicOps) parts.push('topic by operators');
  if (settings.limit !== undefined) parts.push(`limit ${settings.limit}`);
  return parts.length === 0 ? 'public' : parts.join(', ');
}

export function isOperator(policy: RoomPolicy | null, actor: Actor): boolean {
  return actor.serverOperator || roleOf(policy, actor.account) === 'op';
}

/** `moderation.action` of role and settings changes: members get `role` and `settings` events for them too. */
export const ROLE_ACTIONS = { op: 'op', voice: 'voice', none: 'role removed' } as const;
export const SETTINGS_ACTION = 'settings';
const MIRRORED_ACTIONS: ReadonlySet<string> = new Set([...Object.values(ROLE_ACTIONS), SETTINGS_ACTION]);

/** Whether a moderation action is also told as `role` or `settings` events (IRC shows those as MODE lines instead). */
export function isMirroredAction(action: string): boolean {
  return MIRRORED_ACTIONS.has(action);
}

/** The role the folded `account` holds in the room: its owner is an operator. Server operators hold none by it. */
export function roleOf(policy: RoomPolicy | null, account: string | null): RoomRole {
  if (!policy || account === null) return 'none';
  if (policy.owner === account || policy.ops.includes(account)) return 'op';
  return policy.voiced.includes(account) ? 'voice' : 'none';
}

/** Whether any account holds a role in the room. */
export function hasRoles(policy: RoomPolicy | null): boolean {
  return policy !== null && (policy.owner !== undefined || policy.ops.length > 0 || policy.voiced.length > 0);
}

export function canSpeak(policy: RoomPolicy | null, actor: Actor, now: number): boolean {
  if (!policy) return true;
  if (isOperator(policy, actor)) return true;
  if (findMark(policy.mutes, actor, now)) return false;
  if (!policy.settings.moderated) return true;
  return actor.account !== null && policy.voiced.includes(actor.account);
}

/** The first mark (ban or mute) in force that matches the actor. */
export function findMark(marks: readonly RoomMark[], actor: Actor, now: number): RoomMark | undefined {
  return marks.find((m) => (m.expires === undefined || m.expires > now) && markMatches(m, actor));
}

function markMatches(mark: RoomMark, actor: Actor): boolean {
  if (mark.account !== undefined && mark.account === actor.account) return true;
  if (mark.nick !== undefined && mark.nick === actor.nickFold) return true;
  if (mark.address !== undefined) {
    const { list } = banList([{ mask: mark.address, by: '', reason: '', created: 0 }], 0);
    return isBanned(list, actor.address);
  }
  return false;
}

/** What a mark is called in lists and answers: the account, the nick, or (for server operators) the address. */
export function markName(mark: RoomMark, showAddress: boolean): string {
  const who = mark.account ?? mark.nick;
  if (who !== undefined) return showAddress && mark.address ? `${who} (${mark.address})` : who;
  return showAddress ? (mark.address ?? '?') : '(an address)';
}

/**
 * A mask as typed after /ban or /mute: an address or CIDR block, or a nick (a registered one names its
 * account). Null when it is neither.
 */
export function parseTarget(text: string, registered: string | null): Pick<RoomMark, 'account' | 'nick' | 'address'> | null {
  const address = parseBanMask(text);
  if (address !== null) return { address };
  if (!/^[A-Za-z][A-Za-z0-9_\-[\]\\^{}|]{0,23}$/.test(text)) return null;
  return registered !== null ? { account: caseFold(registered) } : { nick: caseFold(text) };
}

/** Whether two marks are for the same target (a new ban replaces the old one). */
export function sameTarget(a: Pick<RoomMark, 'account' | 'nick' | 'address'>, b: Pick<RoomMark, 'account' | 'nick' | 'address'>): boolean {
  if (a.account !== undefined || b.account !== undefined) return a.account === b.account;
  if (a.nick !== undefined || b.nick !== undefined) return a.nick === b.nick;
  return a.address === b.address;
}
