import type { Outgoing } from './outgoing.js';
import type { TokenBucket } from './rate-limit.js';
import type { Room } from './room.js';
import type { User } from './user.js';

export type TransportKind = 'ws' | 'tcp-json' | 'tcp-text' | 'irc';

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

/** Whoever a message can be sent to: one connection (a session) or every connection of a user. */
export interface Recipient {
  readonly peer: Peer;
  readonly closed: boolean;
}

/**
 * One connection's server-side state: its flood counters and the user it speaks for. Answers to its
 * requests go to this connection alone; what the user's rooms say goes to every connection of the user.
 */
export class Session implements Recipient {
  closed = false;
  registrationTimer: NodeJS.Timeout | null = null;
  /** Who this connection is: its own user until it logs in to an account already connected here. */
  user: User;

  constructor(
    readonly id: string,
    readonly peer: Peer,
    readonly flood: TokenBucket,
    readonly strikes: TokenBucket,
    user: User,
  ) {
    this.user = user;
  }

  get registered(): boolean {
    return this.user.nick !== null;
  }

  get nick(): string | null {
    return this.user.nick;
  }

  get nickKey(): string | null {
    return this.user.nickKey;
  }

  /** The account this connection is logged in to (its registered name), or null for a guest. */
  get account(): string | null {
    return this.user.account;
  }

  /** The rooms this connection's user is in, in the order it joined them. */
  get rooms(): readonly Room[] {
    return this.user.rooms;
  }
}
