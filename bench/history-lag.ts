/**
 * `node dist/bench/history-lag.js`: how much 20 clients paging deep history (older than any in-memory
 * window, so every page is read from SQLite) delay the server's event loop, seen two ways: the
 * server's own nodejs_eventloop_lag_* (monitorEventLoopDelay, reset at each scrape) and the round trip
 * of a bystander's pings; and the CPU time the server's main thread (the event loop) spent per page,
 * which a loaded machine disturbs less than the lag. Prints one JSON line. Not a test: the figures
 * depend on the machine.
 *
 * Options: --readers N (20), --seconds S (10), --messages N (2000), --text-bytes B (4000).
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startOurs } from './targets/ours.js';

const { values } = parseArgs({
  options: {
    readers: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '10' },
    messages: { type: 'string', default: '2000' },
    'text-bytes': { type: 'string', default: '4000' },
  },
});
const READERS = Number(values.readers);
const SECONDS = Number(values.seconds);
const MESSAGES = Number(values.messages);
const TEXT_BYTES = Number(values['text-bytes']);
const ROOM = '#archive';

type Frame = Record<string, unknown> & { type: string };

/** A JSON-lines client: frames wait in an inbox until taken by whoever waits for one like them. */
class LineClient {
  private buffer = '';
  private inbox: Frame[] = [];
  private waiters: Array<{ match: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        if (line.startsWith('{')) this.dispatch(JSON.parse(line) as Frame);
      }
    });
  }

  static async connect(port: number, nick: string): Promise<LineClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new LineClient(socket);
    client.send({ type: 'hello', nick });
    await client.next((f) => f.type === 'welcome');
    return client;
  }

  send(frame: object): void {
    this.socket.write(`${JSON.stringify(frame)}\n`);
  }

  next(match: (f: Frame) => boolean): Promise<Frame> {
    const i = this.inbox.findIndex(match);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]!);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  private dispatch(frame: Frame): void {
    if (frame.type === 'error') throw new Error(`the server refused a request: ${JSON.stringify(frame)}`);
    const i = this.waiters.findIndex((w) => w.match(frame));
    if (i < 0) {
      // Only what a later next() may ask for is kept: the lobby's traffic and echoes are dropped.
      if (frame.type !== 'message' && frame.type !== 'joined' && frame.type !== 'left') this.inbox.push(frame);
      return;
    }
    const [w] = this.waiters.splice(i, 1);
    w!.resolve(frame);
  }

  close(): void {
    this.socket.destroy();
  }
}

async function scrapeLag(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(url)).text();
  const out: Record<string, number> = {};
  for (const name of ['mean', 'p50', 'p99', 'max']) {
    const m = new RegExp(`^nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(text);
    out[`${name}Ms`] = m ? Math.round(Number(m[1]) * 1e4) / 10 : NaN;
  }
  return out;
}

/** CPU milliseconds (user + system) of the process's main thread, from /proc (Linux). */
function mainThreadCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 a second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
}

async function main(): Promise<void> {
  const target = await startOurs(1000);
  try {
    const port = target.ports.tcp!;
    const writer = await LineClient.connect(port, 'archivist');
    writer.send({ type: 'join', room: ROOM });
    await writer.next((f) => f.type === 'who' && f.room === ROOM);
    for (let i = 0; i < MESSAGES; i += 100) {
      const n = Math.min(100, MESSAGES - i);
      for (let k = 0; k < n; k++) writer.send({ type: 'say', room: ROOM, text: `${i + k} ${'x'.repeat(TEXT_BYTES - 8)}`, ref: `w${i + k}` });
      await writer.next((f) => f.type === 'ack' && f.ref === `w${i + n - 1}`);
    }
    writer.close();

    const readers = await Promise.all(Array.from({ length: READERS }, (_, i) => LineClient.connect(port, `reader${i}`)));
    const bystander = await LineClient.connect(port, 'bystander');
    await scrapeLag(target.metricsUrl!); // resets the server's histogram: what follows is the run alone
    const cpuBefore = mainThreadCpuMs(target.pid);
    const until = performance.now() + SECONDS * 1000;
    let pages = 0;
    const rtts: number[] = [];
    const pinging = (async () => {
      for (let i = 0; performance.now() < until; i++) {
        const sent = performance.now();
        bystander.send({ type: 'ping', ref: `p${i}` });
        await bystander.next((f) => f.type === 'pong' && f.ref === `p${i}`);
        rtts.push(performance.now() - sent);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await Promise.all(readers.map(async (reader, r) => {
      // Each reader pages from its own deep point, so the pages are not all the same rows.
      let before = Math.max(2, Math.floor(MESSAGES / 2) - r * 10);
      while (performance.now() < until) {
        reader.send({ type: 'history', room: ROOM, before, limit: 200 });
        const page = await reader.next((f) => f.type === 'history');
        pages++;
        const first = (page.messages as Array<{ seq: number }>)[0]?.seq ?? 1;
        before = first > 1 ? first : Math.floor(MESSAGES / 2);
      }
    }));
    await pinging;
    const lag = await scrapeLag(target.metricsUrl!);
    const cpuMs = mainThreadCpuMs(target.pid) - cpuBefore;
    rtts.sort((a, b) => a - b);
    for (const reader of readers) reader.close();
    bystander.close();
    console.log(JSON.stringify({
      readers: READERS, seconds: SECONDS, messages: MESSAGES, textBytes: TEXT_BYTES,
      pagesPerSecond: Math.round(pages / SECONDS), mainThreadCpuMsPerPage: Math.round((cpuMs / pages) * 100) / 100, serverLoopLag: lag,
      bystanderPingMs: { p50: quantile(rtts, 0.5), p99: quantile(rtts, 0.99), max: quantile(rtts, 1), count: rtts.length },
    }));
  } finally {
    await target.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
