/**
 * The attack report's bystander: an ordinary TCP JSON client that pings at half the allowed rate and
 * records what happens to it. Attack tests assert it is never refused or dropped.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { JsonClient } from './clients.js';

export interface BystanderReport {
  sent: number;
  answered: number;
  rateLimited: number;
  bye: string | null;
  rttsMs: number[];
}

export class Bystander {
  private sent = 0;
  private readonly sentAt = new Map<string, number>();
  private readonly rtts: number[] = [];
  private timer: NodeJS.Timeout | null = null;

  private constructor(readonly client: JsonClient) {}

  static async start(tcpPort: number, nick = 'bystander', perSecond = 10): Promise<Bystander> {
    const b = new Bystander(await JsonClient.registered('tcp', tcpPort, nick));
    b.timer = setInterval(() => b.ping(), 1000 / perSecond);
    return b;
  }

  private ping(): void {
    if (this.client.closed) return;
    const ref = `b${this.sent++}`;
    this.sentAt.set(ref, performance.now());
    this.client.send({ type: 'ping', ref });
  }

  /** Stops pinging, waits for the answers still due, and reports. */
  async stop(): Promise<BystanderReport> {
    if (this.timer) clearInterval(this.timer);
    const wanted = this.sent;
    while (!this.client.closed && this.answeredCount() < wanted) {
      await this.client.next((m) => m.type === 'bye' || (m.type === 'pong' && this.sentAt.has(m.ref ?? '')), 15_000).catch(() => null);
      this.collect();
    }
    this.collect();
    const received = this.client.received;
    const bye = received.find((m) => m.type === 'bye');
    this.client.close();
    return {
      sent: wanted,
      answered: this.answeredCount(),
      rateLimited: received.filter((m) => m.type === 'error' && m.code === 'RATE_LIMITED').length,
      bye: bye?.type === 'bye' ? bye.reason : null,
      rttsMs: this.rtts,
    };
  }

  private collect(): void {
    for (const m of this.client.received) {
      if (m.type !== 'pong' || !m.ref) continue;
      const at = this.sentAt.get(m.ref);
      if (at === undefined) continue;
      this.sentAt.delete(m.ref);
      this.rtts.push(performance.now() - at);
    }
  }

  private answeredCount(): number {
    this.collect();
    return this.rtts.length;
  }
}

/** Resident memory of a process, in MB, from /proc. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** CPU seconds a process has used so far (user + system), from /proc. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, in clock ticks (100 a second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Writes `chunk` to every socket as fast as the server takes it for `ms`, and returns the share of one
 * core the server (`pid`) used meanwhile.
 */
export async function serverCpuWhileStreaming(pid: number, streams: Array<{ socket: Socket; chunk: Buffer }>, ms: number): Promise<number> {
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  await Promise.all(streams.map(({ socket, chunk }) => new Promise<void>((resolve) => {
    let done = false;
    setTimeout(() => { done = true; resolve(); }, ms);
    const pump = (): void => {
      if (done || socket.destroyed) return;
      if (socket.write(chunk)) setImmediate(pump);
      else socket.once('drain', pump);
    };
    pump();
  })));
  return (cpuSeconds(pid) - cpuBefore) / ((performance.now() - started) / 1000);
}
