import type { TokenBucket } from './rate-limit.js';
import type { Outgoing } from './outgoing.js';
import type { Room } from './room.js';
import type { Peer, Recipient, Session, TransportKind } from './session.js';

/**
 * A user as rooms, the nick map and the engine know it: one nick, its account, its rooms, and the
 * connections it speaks through (ergo's client and sessions). Most users have one; an account logged in
 * from several terminals of this server has one user with a session per terminal, and what is delivered
 * to the user (its rooms' traffic, DMs, notices) reaches every one of them. It is its own Peer, so rooms
 * deliver to it as to one connection.
 */
export class User implements Peer, Recipient {
  nick: string | null = null;
  nickKey: string | null = null;
  /** The account the user is logged in to (its registered name), or null for a guest. */
  account: string | null = null;
  /** A server operator: its account is named in --operators, or was made one (see Hub.logIn). */
  operator = false;
  /** Why the user is away (`away`), or null while it is not. Every terminal shares it. */
  away: string | null = null;
  /** DM bytes this user may still be sent, by everyone together (made at the first DM). */
  inbound: TokenBucket | null = null;
  // Arrays, not Sets: a user is in a few rooms and on a terminal or two, and a Set costs ~200 bytes
  // however small. Copied, not grown in place: push() would reserve room for 16 more.
  private joined: Room[] = [];
  private connections: Session[] = [];

  /** `id` is the member id the engine knows the user by: its first session's. */
  constructor(readonly id: string) {}

  get peer(): Peer {
    return this;
  }

  /** Gone: its last session closed (or moved to another user). */
  get closed(): boolean {
    return this.connections.length === 0;
  }

  get sessions(): readonly Session[] {
    return this.connections;
  }

  attach(session: Session): void {
    if (!this.connections.includes(session)) this.connections = [...this.connections, session];
  }

  /** Forgets the session; true when it was the last one. */
  detach(session: Session): boolean {
    this.connections = this.connections.filter((s) => s !== session);
    return this.connections.length === 0;
  }

  /** The rooms the user is in, in the order it joined them. */
  get rooms(): readonly Room[] {
    return this.joined;
  }

  enter(room: Room): void {
    if (!this.joined.includes(room)) this.joined = [...this.joined, room];
  }

  exit(room: Room): void {
    this.joined = this.joined.filter((r) => r !== room);
  }

  // ---- Peer: every session of the user --------------------------------------------------------

  get kind(): TransportKind {
    return this.connections[0]?.peer.kind ?? 'ws';
  }

  get remote(): string {
    return this.connections[0]?.peer.remote ?? '';
  }

  deliver(out: Outgoing): void {
    for (const session of this.connections) if (!session.closed) session.peer.deliver(out);
  }

  /** The largest backlog of its sessions: a DM sender waits for the slowest terminal. */
  outputBacklog(): number {
    let most = 0;
    for (const session of this.connections) most = Math.max(most, session.peer.outputBacklog());
    return most;
  }

  close(reason: string): void {
    for (const session of [...this.connections]) session.peer.close(reason);
  }
}
