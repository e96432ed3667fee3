/**
 * Requests to the node holding a nick: a DM to deliver, or a whois to answer. A request is published on
 * the holder node's channel `chat:dm:<node>` and answered on the asker's. Not stored, at most once, as in
 * single-node mode.
 */
import type { Redis } from 'ioredis';
import { nanoid } from 'nanoid';
import type { Logger } from '../log.js';
import type { DirectMessage, DmReceipt, EngineSink, UserInfo } from './engine.js';
import { dmChannel } from './redis-scripts.js';

export const DM_TIMEOUT_MS = 5000;

type Frame =
  | { t: 'q'; rid: string; from: string; to: string; dm: DirectMessage }
  | { t: 'w'; rid: string; from: string; to: string }
  | { t: 'a'; rid: string; answer: DmReceipt | UserInfo | null };

type Question = Extract<Frame, { t: 'q' | 'w' }>;

interface Waiting { resolve(answer: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }

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
  send(target: string, toFold: string, dm: DirectMessage): Promise<DmReceipt> {
    return this.ask<DmReceipt>(target, { t: 'q', rid: nanoid(), from: this.node(), to: toFold, dm }, { outcome: 'no-such-user' });
  }

  /** Asks `target` who holds the folded nick; null when no node listens there; rejects after DM_TIMEOUT_MS. */
  whois(target: string, nickFold: string): Promise<UserInfo | null> {
    return this.ask<UserInfo | null>(target, { t: 'w', rid: nanoid(), from: this.node(), to: nickFold }, null);
  }

  private async ask<T>(target: string, frame: Question, nobody: T): Promise<T> {
    const { rid } = frame;
    const answer = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(rid);
        reject(new Error(`node ${target} did not answer within ${DM_TIMEOUT_MS} ms`));
      }, DM_TIMEOUT_MS);
      this.waiting.set(rid, { resolve: resolve as (answer: unknown) => void, reject, timer });
    });
    answer.catch(() => {});
    let receivers: number;
    try {
      receivers = await this.pub.publish(dmChannel(target), JSON.stringify(frame));
    } catch (err) {
      this.settle(rid);
      throw err;
    }
    if (receivers === 0) {
      this.settle(rid);
      return nobody;
    }
    return answer;
  }

  /** Fails every request still waiting (the engine stops). */
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
      this.settle(frame.rid)?.resolve(frame.answer);
      return;
    }
    const reply: Frame = { t: 'a', rid: frame.rid, answer: this.answer(frame) };
    this.pub.publish(dmChannel(frame.from), JSON.stringify(reply)).catch((err: Error) => {
      this.log.warn({ err: err.message }, 'DM answer not sent');
    });
  }

  private answer(frame: Question): DmReceipt | UserInfo | null {
    try {
      return frame.t === 'q' ? this.sink.receiveDm(frame.to, frame.dm) : this.sink.whois(frame.to);
    } catch (err) {
      this.log.error({ err: (err as Error).message, kind: frame.t }, 'answering a node failed');
      return frame.t === 'q' ? { outcome: 'no-such-user' } : null;
    }
  }
}
