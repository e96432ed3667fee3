/** The parent's handle on the bystander process (bystander-process.ts). */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Histogram, type Percentiles } from '../gen/histogram.js';
import type { HistData } from '../gen/ipc.js';

const ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bystander-process.js');

export type BystanderCmd =
  | { cmd: 'start'; port: number; perSecond: number; localAddress: string; nick: string }
  /** Ends the current window (once its pings are answered) and starts the next. */
  | { cmd: 'mark' }
  /** Everything since the start, without waiting. */
  | { cmd: 'total' }
  | { cmd: 'stop' };

export interface BystanderStats {
  sent: number;
  answered: number;
  /** Pings answered with an error (RATE_LIMITED). */
  refused: number;
  /** The reason of a `bye` it got, if any. */
  bye: string | null;
  closed: boolean;
  latency: HistData;
}

export type BystanderReply = { type: 'ready' } | { type: 'stats'; stats: BystanderStats } | { type: 'error'; message: string };

export interface BystanderSummary {
  sent: number;
  answered: number;
  refused: number;
  /** Why it was dropped (a `bye` reason, or "closed"), or null while connected. */
  dropped: string | null;
  rtt: Percentiles;
}

export function summarize(s: BystanderStats): BystanderSummary {
  const h = new Histogram();
  h.addSparse(s.latency);
  return { sent: s.sent, answered: s.answered, refused: s.refused, dropped: s.closed ? s.bye ?? 'closed' : s.bye, rtt: h.summaryMs() };
}

export class BystanderProcess {
  private readonly waiters: Array<(r: BystanderReply) => void> = [];

  private constructor(private readonly proc: ChildProcess) {
    proc.on('message', (m) => this.waiters.shift()?.(m as BystanderReply));
    proc.on('error', () => {});
    proc.on('exit', () => {
      for (const w of this.waiters.splice(0)) w({ type: 'error', message: 'the bystander process exited' });
    });
  }

  /** A bystander pinging `perSecond` times a second over TCP JSON from `localAddress`. */
  static async start(tcpPort: number, opts: { perSecond?: number; localAddress?: string; nick?: string } = {}): Promise<BystanderProcess> {
    const b = new BystanderProcess(fork(ENTRY, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    try {
      await b.request({
        cmd: 'start', port: tcpPort, perSecond: opts.perSecond ?? 10, localAddress: opts.localAddress ?? '127.0.0.1', nick: opts.nick ?? 'bystander',
      });
    } catch (err) {
      b.proc.kill('SIGKILL');
      throw err;
    }
    return b;
  }

  async mark(): Promise<BystanderSummary> {
    return summarize(await this.statsOf({ cmd: 'mark' }));
  }

  async total(): Promise<BystanderSummary> {
    return summarize(await this.statsOf({ cmd: 'total' }));
  }

  /** Stops pinging, waits for the answers still due, and reports the whole run. */
  async stop(): Promise<BystanderSummary> {
    const s = summarize(await this.statsOf({ cmd: 'stop' }));
    await new Promise<void>((resolve) => {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) return resolve();
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
      this.proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
    return s;
  }

  /** For a failed run: ends the process at once. */
  kill(): void {
    this.proc.kill('SIGKILL');
  }

  private async statsOf(cmd: BystanderCmd): Promise<BystanderStats> {
    const r = await this.request(cmd);
    if (r.type !== 'stats') throw new Error('the bystander answered out of turn');
    return r.stats;
  }

  private request(cmd: BystanderCmd): Promise<BystanderReply> {
    return new Promise((resolve, reject) => {
      if (!this.proc.connected) return reject(new Error('the bystander process is gone'));
      this.waiters.push((r) => (r.type === 'error' ? reject(new Error(r.message)) : resolve(r)));
      this.proc.send(cmd);
    });
  }
}
