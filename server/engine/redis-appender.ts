/**
 * Appending batches of messages with the chat:append script (redis-scripts.ts).
 */
import { EngineError, type NewMessage } from './engine.js';
import { encodePayload } from './redis-codec.js';
import { BUS, leaseKey, roomLog, roomMeta, type ScriptedRedis } from './redis-scripts.js';

type Write = <T>(node: string, run: (node: string) => Promise<T>) => Promise<T>;

export class BatchAppender {
  private readonly inFlight = new Set<Promise<unknown>>();
  private appendTail: Promise<void> = Promise.resolve();
  private batchNo = 0;
  private appendBatches = 0;
  private appendedMessages = 0;
  private appendLastMs = 0;
  private appendTotalMs = 0;

  constructor(
    private readonly cmd: ScriptedRedis,
    private readonly options: { busMaxLen: number; historyMax: number },
    private readonly node: () => string,
    /** Runs a script under a node's lease (fencing on FENCED). */
    private readonly write: Write,
    private readonly stopping: () => boolean,
  ) {}

  /**
   * One batch in flight at a time (as the hub's commit queue sends them), so that batch numbers reach
   * Redis in order: the script then takes any number not above the last one recorded for a room as a
   * resend. A batch whose outcome is in doubt (the connection dropped and ioredis could not resend it)
   * is sent again, same number, once Redis is back; a batch never sent is refused at once.
   */
  async append(batch: NewMessage[]): Promise<void> {
    if (batch.length === 0) return;
    if (this.cmd.status !== 'ready') throw new EngineError('the message store (Redis) is unreachable');
    const byRoom = new Map<string, NewMessage[]>();
    for (const m of batch) {
      const list = byRoom.get(m.roomKey);
      if (list) list.push(m);
      else byRoom.set(m.roomKey, [m]);
    }
    const turn = this.appendTail;
    let release!: () => void;
    this.appendTail = new Promise<void>((resolve) => { release = resolve; });
    const work = turn.then(() => this.appendBatch(byRoom)).finally(release);
    this.inFlight.add(work);
    const started = performance.now();
    try {
      await work;
    } finally {
      this.inFlight.delete(work);
    }
    const ms = performance.now() - started;
    this.appendBatches++;
    this.appendedMessages += batch.length;
    this.appendLastMs = ms;
    this.appendTotalMs += ms;
  }

  private async appendBatch(byRoom: Map<string, NewMessage[]>): Promise<void> {
    if (this.cmd.status !== 'ready') throw new EngineError('the message store (Redis) is unreachable');
    let call: { node: string; keys: string[]; args: Array<string | number> } | null = null;
    await this.write(this.node(), async (node) => {
      call ??= this.appendCall(node, byRoom);
      let inDoubt = false;
      for (;;) {
        try {
          return await this.cmd.chatAppend(call.keys.length, ...call.keys, ...call.args);
        } catch (err) {
          // Refused before it was written (the connection had already gone): truly not sent, so the
          // senders are told at once rather than kept waiting for Redis to come back.
          if (!inDoubt && isNotSent(err)) throw new EngineError('the message store (Redis) is unreachable');
          if (!isConnectionError(err) || this.stopping()) throw err;
          // Perhaps appended, perhaps not: the same batch again settles it (the script skips a resend).
          inDoubt = true;
          await this.connectedAgain();
        }
      }
    });
  }

  private appendCall(node: string, byRoom: Map<string, NewMessage[]>) {
    const keys: string[] = [BUS, leaseKey(node)];
    const args: Array<string | number> = [node, ++this.batchNo, this.options.busMaxLen, this.options.historyMax];
    for (const [roomKey, msgs] of byRoom) {
      keys.push(roomMeta(roomKey), roomLog(roomKey));
      args.push(roomKey, msgs.length, ...msgs.map(encodePayload));
    }
    return { node, keys, args };
  }

  /** Resolves once the command connection is ready again (or the engine stops). */
  private connectedAgain(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.cmd.status === 'ready' || this.stopping()) resolve();
        else setTimeout(check, 50);
      };
      check();
    });
  }

  /** Resolves once every append begun has settled. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  stats() {
    return {
      appendBatches: this.appendBatches,
      appendedMessages: this.appendedMessages,
      appendLastMs: this.appendLastMs,
      appendAvgMs: this.appendBatches ? this.appendTotalMs / this.appendBatches : 0,
    };
  }
}

/** ioredis refused the command without writing it (no connection, and no offline queue). */
function isNotSent(err: unknown): boolean {
  return /Stream isn't writeable/.test((err as Error)?.message ?? '');
}

/** The command may or may not have reached Redis: the connection went away around it. */
function isConnectionError(err: unknown): boolean {
  return /Stream isn't writeable|Connection is closed|ECONNRESET|EPIPE/.test((err as Error)?.message ?? '');
}
