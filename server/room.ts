import { HISTORY_PAGE_MAX } from '../shared/limits.js';
import type { ChatMessage } from '../shared/protocol.js';
import type { Outgoing } from './outgoing.js';
import type { Session } from './session.js';

/** A room owns its members, its topic, its sequence counter and a window of recent history. */
export class Room {
  readonly members = new Set<Session>();
  topic = '';
  /** The last seq handed out; durable through the store, so it carries on after a restart. */
  lastSeq: number;
  /** The newest committed messages, oldest first, so joins and short history reads skip the disk. */
  private readonly recent: ChatMessage[];

  constructor(
    readonly key: string,
    readonly name: string,
    lastSeq: number,
    recent: ChatMessage[],
  ) {
    this.lastSeq = lastSeq;
    this.recent = recent;
  }

  nextSeq(): number {
    return ++this.lastSeq;
  }

  remember(message: ChatMessage): void {
    this.recent.push(message);
    if (this.recent.length > HISTORY_PAGE_MAX * 2) this.recent.splice(0, this.recent.length - HISTORY_PAGE_MAX);
  }

  /**
   * The `limit` newest messages older than `before`, when the in-memory window certainly holds them
   * all and at least one older (so `more` is true); otherwise null and the caller asks the store.
   */
  recentPage(before: number, limit: number): ChatMessage[] | null {
    let end = this.recent.length;
    while (end > 0 && this.recent[end - 1]!.seq >= before) end--;
    if (end <= limit) return null;
    return this.recent.slice(end - limit, end);
  }

  broadcast(out: Outgoing): number {
    for (const member of this.members) member.peer.deliver(out);
    return this.members.size;
  }

  nicks(): string[] {
    const nicks: string[] = [];
    for (const member of this.members) if (member.nick) nicks.push(member.nick);
    return nicks;
  }
}
