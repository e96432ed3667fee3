import type { Outgoing } from './outgoing.js';
import type { TokenBucket } from './rate-limit.js';
import type { Room } from './room.js';

export type TransportKind = 'ws' | 'tcp-json' | 'tcp-text';

/**
 * What the hub sees of a connection. Transports implement it; the hub never touches a socket.
 */
export interface Peer {
  readonly kind: TransportKind;
  readonly remote: string;
  /** Queues one message; a transport drops a peer whose unsent output passes its bound. */
  deliver(out: Outgoing): void;
  /** Bytes delivered that the peer has not read yet. */
  outputBacklog(): number;
  /** Sends `bye{reason}` and closes the connection, even if the peer never reads it. */
  close(reason: string): void;
}

/** One connection's server-side state: identity, memberships, flood counters. */
export class Session {
  nick: string | null = null;
  nickKey: string | null = null;
  /** The account this session is logged in to (its registered name), or null for a guest. */
  account: string | null = null;
  /** A server operator: its account is named in --operators, or was made one (see Hub.logIn). */
  operator = false;
  // An array, not a Set: a connection is in a few rooms, and a Set costs ~200 bytes however small.
  private joined: Room[] = [];
  closed = false;
  registrationTimer: NodeJS.Timeout | null = null;
  /** DM bytes this user may still be sent, by everyone together (made at the first DM). */
  inbound: TokenBucket | null = null;

  constructor(
    readonly id: string,
    readonly peer: Peer,
    readonly flood: TokenBucket,
    readonly strikes: TokenBucket,
  ) {}

  get registered(): boolean {
    return this.nick !== null;
  }

  /** The rooms this connection is in, in the order it joined them. */
  get rooms(): readonly Room[] {
    return this.joined;
  }

  // Copied, not grown in place: push() would reserve room for 16 more.
  enter(room: Room): void {
    if (!this.joined.includes(room)) this.joined = [...this.joined, room];
  }

  exit(room: Room): void {
    this.joined = this.joined.filter((r) => r !== room);
  }
}
