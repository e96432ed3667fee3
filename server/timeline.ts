/**
 * Rooms' messages through the engine: a message is posted (batched by the commit queue), comes back as
 * an event with its seq, is delivered to the members here in seq order, and only then acked to its
 * sender. A hole in a room's seqs is read from the engine's log before later events of that room.
 */
import { newId } from './ids.js';
import { ErrorCode } from '../shared/errors.js';
import { HISTORY_PAGE_MAX } from '../shared/limits.js';
import type { ChatMessage, ServerMessage } from '../shared/protocol.js';
import { CommitQueue } from './commit-queue.js';
import type { Engine, EngineEvent, NewMessage } from './engine/engine.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import { Outgoing } from './outgoing.js';
import type { Room } from './room.js';
import type { ServedRooms } from './served-rooms.js';
import type { Session } from './session.js';

export type MessageEvent = Extract<EngineEvent, { kind: 'msg' }>;

/** How the timeline answers a sender. */
export interface Replies {
  send(session: Session, message: ServerMessage): void;
  fail(session: Session, code: ErrorCode, message: string, ref?: string): void;
}

interface PendingAck {
  session: Session;
  ref: string;
}

export class Timeline {
  readonly commits: CommitQueue;
  /** Messages whose sender waits for an ack, by message id. */
  private readonly acks = new Map<string, PendingAck>();

  constructor(
    private readonly engine: Engine,
    private readonly rooms: ServedRooms,
    private readonly replies: Replies,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    this.commits = new CommitQueue((batch) => engine.append(batch), metrics, log, () => engine.reachable);
  }

  /** Queues a room message for the engine; it is delivered, and acked, when its event comes back. */
  post(session: Session, room: Room, text: string, action: boolean, ref?: string): void {
    const id = newId();
    const message: NewMessage = action
      ? { roomKey: room.key, room: room.name, id, from: session.nick!, text, action: true as const }
      : { roomKey: room.key, room: room.name, id, from: session.nick!, text };
    if (session.account !== null) message.account = session.account;
    if (ref !== undefined) this.acks.set(id, { session, ref });
    this.commits.add(message, (why) => {
      this.acks.delete(id);
      if (!session.closed) {
        this.replies.fail(session, ErrorCode.INTERNAL, `the message could not be stored, so it was not sent${why ? `: ${why}` : ''}`, ref);
      }
    });
  }

  apply(event: MessageEvent): void {
    const { roomKey, message } = event;
    const room = this.rooms.get(roomKey);
    if (room && message.seq > room.deliveredSeq + 1) return this.repair(room, event);
    if (room && message.seq > room.deliveredSeq) {
      room.remember(message);
      this.metrics.messagesOut.inc();
      this.metrics.deliveries.inc(room.broadcast(new Outgoing({ type: 'message', ...message })));
    }
    const ack = this.acks.get(message.id);
    if (ack) {
      this.acks.delete(message.id);
      if (!ack.session.closed) this.replies.send(ack.session, { type: 'ack', ref: ack.ref, id: message.id, seq: message.seq, ts: message.ts });
    }
  }

  /**
   * A room's message arrived after a hole in its seqs (its events were trimmed from the bus under this
   * node, or its commit failed on a single node): the missing ones are read from the log first.
   */
  private repair(room: Room, event: MessageEvent): void {
    this.log.warn({ room: room.key, from: room.deliveredSeq + 1, to: event.message.seq - 1 }, 'seq gap in room events: reading it from the log');
    const upTo = event.message.seq - 1;
    this.rooms.catchUp(room, [event], (r) => this.deliverMissed(r, upTo));
  }

  /**
   * Delivers what `room` missed up to `seq`. What the log no longer holds (or cannot be read now) is
   * skipped for good, so a hole is repaired once, never retried in a loop; clients fill it from history.
   */
  async deliverMissed(room: Room, seq: number): Promise<void> {
    try {
      for (const message of await this.missed(room, seq)) this.apply({ kind: 'msg', roomKey: room.key, message });
    } finally {
      if (room.deliveredSeq < seq) room.deliveredSeq = seq;
    }
  }

  /** The messages after what `room` delivered, up to `seq`, oldest first, paged back from the engine. */
  private async missed(room: Room, seq: number): Promise<ChatMessage[]> {
    const pages: ChatMessage[][] = [];
    let before = seq + 1;
    while (before > room.deliveredSeq + 1) {
      const page = await this.engine.page(room.key, room.name, before, HISTORY_PAGE_MAX);
      const newer = page.messages.filter((m) => m.seq > room.deliveredSeq);
      pages.unshift(newer);
      if (!page.more || newer.length < page.messages.length || page.messages.length === 0) break;
      before = page.messages[0]!.seq;
    }
    return pages.flat();
  }
}
