import { HISTORY_ON_JOIN, HISTORY_PAGE_MAX, REPLY_MAX_BYTES, WHO_MAX } from '../shared/limits.js';
import type { ChatMessage, JoinedEvt, RoomRole, WhoEvt } from '../shared/protocol.js';
import type { MemberRef } from './engine/engine.js';
import { caseFold } from '../shared/validate.js';
import { hasRoles, roleOf, type RoomPolicy } from './moderation/policy.js';
import { Outgoing, OutgoingBatch } from './outgoing.js';
import { fitNewest, messageBytes } from './reply-size.js';
import type { TokenBucket } from './rate-limit.js';
import type { User } from './user.js';

/**
 * A room as this process serves it: its members here (who get its events), those on other nodes (for
 * `who` and counts), its topic and a window of recent history. Seqs are the engine's.
 */
export class Room {
  readonly members = new Set<User>();
  /** Members connected to other nodes, by folded nick (always empty on a single node). */
  readonly remote = new Map<string, MemberRef>();
  private currentTopic = '';
  private currentPolicy: RoomPolicy | null = null;
  /** The newest seq delivered to members here. */
  deliveredSeq: number;
  /** Joins on their way through the engine: the room must not be dropped before they land. */
  expected = 0;
  /** The newest committed messages, oldest first, so joins and short history reads skip the disk. */
  private readonly recent: ChatMessage[];
  /** Their size as messageBytes counts it: a window is bounded in bytes too, or 10,000 rooms of maximal messages would hold gigabytes. */
  private recentBytes = 0;
  /** True while `recent` holds every message the room has ever had. */
  private recentIsComplete: boolean;
  // Serialized once and shared by every joiner until the room changes: filling a large room must not
  // rebuild the member list and the history page for each new member.
  private whoCache: Outgoing | null = null;
  private whoPreviewCache: Outgoing | null = null;
  private joinHistoryCache: Outgoing | null = null;
  // Joins and parts held for one write per member (see Hub.announce), and where each joiner's own
  // join sits among them: a joiner already has its `joined`, and only needs what came after it.
  private heldPresence: Outgoing[] = [];
  private heldJoins = new Map<User, number>();

  constructor(
    readonly key: string,
    readonly name: string,
    seq: number,
    recent: ChatMessage[],
    /** Bytes of text the room may still be sent; every member has to read them. */
    readonly traffic: TokenBucket,
    /** Whether `recent` is the room's whole history (no older message is stored). */
    complete = recent.length === 0,
  ) {
    this.deliveredSeq = seq;
    this.recent = recent;
    for (const m of recent) this.recentBytes += messageBytes(m);
    this.recentIsComplete = complete;
  }

  get topic(): string {
    return this.currentTopic;
  }

  /** The member lists carry the topic: they are built again. */
  set topic(topic: string) {
    if (topic === this.currentTopic) return;
    this.currentTopic = topic;
    this.membersChanged();
  }

  /** Its moderation state (roles, bans, mutes, settings), or null for a room that never had any. */
  get policy(): RoomPolicy | null {
    return this.currentPolicy;
  }

  /** The member lists carry roles and settings: they are built again. */
  set policy(policy: RoomPolicy | null) {
    this.currentPolicy = policy;
    this.membersChanged();
  }

  /** Members on every node. */
  get total(): number {
    return this.members.size + this.remote.size;
  }

  add(user: User): void {
    // A newcomer's who already reflects what is held so far: it gets only what is held after it, even
    // when its own join is not held (a room above the announce limit tells only the joiner).
    if (!this.members.has(user) && this.heldPresence.length > 0) this.heldJoins.set(user, this.heldPresence.length - 1);
    this.members.add(user);
    this.membersChanged();
  }

  remove(user: User): void {
    this.members.delete(user);
    this.membersChanged();
  }

  /** A member changed nick, went away or came back, logged in or out, or one elsewhere came or went. */
  renamed(): void {
    this.membersChanged();
  }

  private membersChanged(): void {
    this.whoCache = null;
    this.whoPreviewCache = null;
  }

  remember(message: ChatMessage): void {
    this.deliveredSeq = message.seq;
    this.recent.push(message);
    this.recentBytes += messageBytes(message);
    this.joinHistoryCache = null;
    // Trimmed in bulk, once it holds two pages, down to a page and one more message (so that the newest
    // page, the one joiners get, is still answered here, `more` included): amortized, not a shift per message.
    if (this.recent.length > HISTORY_PAGE_MAX * 2 || this.recentBytes > REPLY_MAX_BYTES * 2) {
      const page = fitNewest(this.recent.length, (i) => this.recent[this.recent.length - 1 - i]!, HISTORY_PAGE_MAX);
      const keep = Math.min(this.recent.length, page + 1);
      for (const dropped of this.recent.splice(0, this.recent.length - keep)) this.recentBytes -= messageBytes(dropped);
      this.recentIsComplete = false;
    }
  }

  /**
   * The `limit` newest messages older than `before` and whether older ones exist, when the in-memory
   * window can tell; otherwise null and the caller asks the store.
   */
  recentPage(before: number, limit: number): { messages: ChatMessage[]; more: boolean } | null {
    let end = this.recent.length;
    while (end > 0 && this.recent[end - 1]!.seq >= before) end--;
    const fit = fitNewest(end, (i) => this.recent[end - 1 - i]!, limit);
    if (end > fit) return { messages: this.recent.slice(end - fit, end), more: true };
    if (this.recentIsComplete) return { messages: this.recent.slice(0, end), more: false };
    return null;
  }

  /**
   * The seq of the message with that id, or of the last message before that time (0: none), when the
   * window can tell; undefined when the store must be asked.
   */
  locate(anchor: { id: string } | { ts: number }): number | null | undefined {
    if ('id' in anchor) {
      const found = this.recent.find((m) => m.id === anchor.id);
      return found ? found.seq : this.recentIsComplete ? null : undefined;
    }
    for (let i = this.recent.length - 1; i >= 0; i--) if (this.recent[i]!.ts < anchor.ts) return this.recent[i]!.seq;
    return this.recentIsComplete ? 0 : undefined;
  }

  /**
   * The `history` a joiner gets, from the window alone: it must end exactly where live messages begin,
   * which a read elsewhere (another thread, another node) cannot promise. A window too small to fill the
   * page says `more`, and the client pages on from the store.
   */
  joinHistory(): Outgoing {
    if (this.joinHistoryCache) return this.joinHistoryCache;
    const page = this.recentPage(Number.MAX_SAFE_INTEGER, HISTORY_ON_JOIN) ?? { messages: this.recent.slice(), more: true };
    return (this.joinHistoryCache = new Outgoing({ type: 'history', room: this.name, ...page }));
  }

  /** Every member (the first WHO_MAX of a larger room). */
  who(): Outgoing {
    return (this.whoCache ??= this.whoMessage(Infinity));
  }

  /** The first `limit` members and the count of all of them. */
  whoPreview(limit: number): Outgoing {
    return (this.whoPreviewCache ??= this.whoMessage(limit));
  }

  private whoMessage(limit: number): Outgoing {
    const away: string[] = [];
    const accounts: (string | null)[] = [];
    const roles = hasRoles(this.policy) ? { op: [] as string[], voice: [] as string[] } : undefined;
    const who: WhoEvt = { type: 'who', room: this.name, users: this.nicks(Math.min(limit, WHO_MAX), away, accounts, roles), total: this.total };
    if (this.topic !== '') who.topic = this.topic;
    if (away.length > 0) who.away = away;
    if (accounts.some((a) => a !== null)) who.accounts = accounts;
    if (roles && roles.op.length > 0) who.ops = roles.op;
    if (roles && roles.voice.length > 0) who.voiced = roles.voice;
    const settings = this.policy?.settings;
    if (settings && Object.keys(settings).length > 0) who.settings = { ...settings };
    return new Outgoing(who);
  }

  /** `member` joined at `ts`, as everyone is told it, the member itself included: its away text, account and role. */
  joinedEvent(member: MemberRef, ts: number): JoinedEvt {
    const joined: JoinedEvt = { type: 'joined', room: this.name, nick: member.nick, ts };
    if (member.away) joined.away = member.away;
    if (member.account) joined.account = member.account;
    const role = this.roleOf(member);
    if (role !== 'none') joined.role = role;
    return joined;
  }

  /** The member's role here, by the account it holds roles by (see accountOf). */
  roleOf(member: User | MemberRef): RoomRole {
    // Most rooms have no roles: every join asks, and needs no folding then.
    return hasRoles(this.policy) ? roleOf(this.policy, accountOf(member)) : 'none';
  }

  broadcast(out: Outgoing): number {
    const flushed = this.flushPresence();
    for (const member of this.members) member.peer.deliver(out);
    return flushed + this.members.size;
  }

  /** Holds a `joined` or `left` for the next flush; true when it is the first one held. */
  holdPresence(out: Outgoing, joiner?: User): boolean {
    if (joiner) this.heldJoins.set(joiner, this.heldPresence.length);
    this.heldPresence.push(out);
    return this.heldPresence.length === 1;
  }

  /** Sends the held joins and parts to every member, in one write each; returns the deliveries. */
  flushPresence(): number {
    if (this.heldPresence.length === 0) return 0;
    const batch = new OutgoingBatch(this.heldPresence);
    const joins = this.heldJoins;
    this.heldPresence = [];
    this.heldJoins = new Map();
    let deliveries = 0;
    for (const member of this.members) {
      const at = joins.get(member);
      const out = at === undefined ? batch : batch.after(at);
      if (!out) continue;
      member.peer.deliver(out);
      deliveries += out.parts.length;
    }
    return deliveries;
  }

  /**
   * The first `limit` members' nicks; those of them who are away are added to `away`, each one's account
   * (null: a guest) to `accounts`, and those with a role to its list in `roles`, when given.
   */
  nicks(limit = Infinity, away?: string[], accounts?: (string | null)[], roles?: Record<'op' | 'voice', string[]>): string[] {
    const nicks: string[] = [];
    const withRole = (member: User | MemberRef, nick: string) => {
      const role = this.roleOf(member);
      if (role !== 'none') roles![role].push(nick);
    };
    for (const member of this.members) {
      if (nicks.length >= limit) break;
      if (!member.nick) continue;
      nicks.push(member.nick);
      if (member.away !== null) away?.push(member.nick);
      accounts?.push(member.account);
      if (roles) withRole(member, member.nick);
    }
    for (const member of this.remote.values()) {
      if (nicks.length >= limit) break;
      nicks.push(member.nick);
      if (member.away) away?.push(member.nick);
      accounts?.push(member.account ?? null);
      if (roles) withRole(member, member.nick);
    }
    return nicks;
  }
}

/**
 * The folded account a member holds roles by: the account it is logged in to, here or on another node
 * (member refs carry it); none for a guest, whatever its nick.
 */
export function accountOf(member: User | MemberRef): string | null {
  return member.account ? caseFold(member.account) : null;
}
