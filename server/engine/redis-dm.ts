/**
 * DMs between nodes: a request published on the holder node's channel `chat:dm:<node>`, answered with
 * the DmOutcome on the asker's channel. Not stored, at most once, as in single-node mode.
 */
import type { Redis } from 'ioredis';
import { nanoid } from 'nanoid';
import type { Logger } from '../log.js';
import type { DirectMessage, DmOutcome, EngineSink } from './engine.js';
import { dmChannel } from './redis-scripts.js';

export const DM_TIMEOUT_MS = 5000;

type Frame =
  | { t: 'q'; rid: string; from: string; to: string; dm: DirectMessage }
  | { t: 'a'; rid: string; outcome: DmOutcome };

interface Waiting { resolve(o: DmOutcome): void; reject(e: Error): void; timer: NodeJS.Timeout }

export class DmRelay {
  private readonly waiting = new Map<string, Waiting>();
  private channel: string | null = null;

  constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly sink: EngineSink,
    private readonly node: () => string,
    private readonly log: Logger,
  ) {
    sub.on('message', (channel: string, raw: string) => {
      if (channel === this.channel) this.onFrame(raw);
    });
  }

  /** Listens on this node's channel (again, under a new id after fencing). */
  async listen(node: string): Promise<void> {
    const old = this.channel;
    this.channel = dmChannel(node);
    await this.sub.subscribe(this.channel);
    if (old && old !== this.channel) await this.sub.unsubscribe(old);
  }

  /** Asks `target` to deliver; 'no-such-user' when no node listens there; rejects after DM_TIMEOUT_MS. */
  async send(target: string, toFold: string, dm: DirectMessage): Promise<DmOutcome> {
    const rid = nanoid();
    const answer = new Promise<DmOutcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(rid);
        reject(new Error(`node ${target} did not answer a DM within ${DM_TIMEOUT_MS} ms`));
      }, DM_TIMEOUT_MS);
      this.waiting.set(rid, { resolve, reject, timer });
    });
    answer.catch(() => {});
    const frame: Frame = { t: 'q', rid, from: this.node(), to: toFold, dm };
    let receivers: number;
    try {
      receivers = await this.pub.publish(dmChannel(target), JSON.stringify(frame));
    } catch (err) {
      this.settle(rid);
      throw err;
    }
    if (receivers === 0) {
      this.settle(rid);
      return 'no-such-user';
    }
    return answer;
  }

  /** Fails every DM still waiting (the engine stops). */
  close(reason: string): void {
    for (const [rid, w] of this.waiting) {
      this.settle(rid);
      w.reject(new Error(reason));
    }
  }

  private settle(rid: string): Waiting | undefined {
    const w = this.waiting.get(rid);
    if (w) {
      clearTimeout(w.timer);
      this.waiting.delete(rid);
    }
    return w;
  }

  private onFrame(raw: string): void {
    let frame: Frame;
    try {
      frame = JSON.parse(raw) as Frame;
    } catch {
      this.log.warn('unreadable DM frame dropped');
      return;
    }
    if (frame.t === 'a') {
      this.settle(frame.rid)?.resolve(frame.outcome);
      return;
    }
    let outcome: DmOutcome;
    try {
      outcome = this.sink.receiveDm(frame.to, frame.dm);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'delivering a DM failed');
      outcome = 'no-such-user';
    }
    const reply: Frame = { t: 'a', rid: frame.rid, outcome };
    this.pub.publish(dmChannel(frame.from), JSON.stringify(reply)).catch((err: Error) => {
      this.log.warn({ err: err.message }, 'DM answer not sent');
    });
  }
}
