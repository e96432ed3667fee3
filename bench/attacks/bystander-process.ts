/**
 * The attack report's bystander, in a process of its own so that nothing else the harness does delays
 * it: an ordinary TCP JSON client that sends `ping` 10 times a second (half the allowed rate) and
 * records each round trip. Driven over IPC by bystander.ts; its pings are counted in windows, so the
 * bench can measure it alone and then under each attack.
 */
import { Histogram } from '../gen/histogram.js';
import type { BystanderCmd, BystanderReply, BystanderStats } from './bystander.js';
import { Wire, parse, typeOf } from './wire.js';

/** How long the answers still due at the end of a window are waited for. */
const ANSWER_WAIT_MS = 15_000;

interface Window {
  sent: number;
  answered: number;
  refused: number;
  hist: Histogram;
}

const newWindow = (): Window => ({ sent: 0, answered: 0, refused: 0, hist: new Histogram() });

let wire: Wire | null = null;
let timer: NodeJS.Timeout | null = null;
let next = 0;
let bye: string | null = null;
let current = newWindow();
const all = newWindow();
/** ref → when it was sent and the window it counts in. */
const due = new Map<string, { at: number; window: Window }>();
let wake: () => void = () => {};

function reply(r: BystanderReply): void {
  process.send?.(r);
}

function stats(w: Window): BystanderStats {
  return { sent: w.sent, answered: w.answered, refused: w.refused, bye, closed: wire?.isClosed ?? true, latency: w.hist.toSparse() };
}

function onText(text: Buffer): void {
  const type = typeOf(text);
  if (type === 'pong' || type === 'error') {
    const m = parse<{ ref?: string }>(text);
    const d = m.ref === undefined ? undefined : due.get(m.ref);
    if (!d) return;
    due.delete(m.ref!);
    if (type === 'pong') {
      const us = (performance.now() - d.at) * 1000;
      for (const w of [d.window, all]) {
        w.answered++;
        w.hist.record(us);
      }
    } else {
      d.window.refused++;
      all.refused++;
    }
    wake();
  } else if (type === 'bye') {
    bye = parse<{ reason: string }>(text).reason;
  }
}

function ping(): void {
  if (!wire || wire.isClosed) return;
  const ref = `b${next++}`;
  due.set(ref, { at: performance.now(), window: current });
  current.sent++;
  all.sent++;
  wire.send({ type: 'ping', ref });
}

/** Waits until no ping of `w` is due any more, the connection is gone, or the wait is over. */
async function settle(w: Window): Promise<void> {
  const deadline = performance.now() + ANSWER_WAIT_MS;
  const pending = () => [...due.values()].some((d) => d.window === w);
  while (pending() && wire && !wire.isClosed && performance.now() < deadline) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 100);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}

async function start(port: number, perSecond: number, localAddress: string, nick: string): Promise<void> {
  wire = await Wire.open({ kind: 'tcp', port, localAddress });
  const w = wire;
  const welcome = new Promise<boolean>((resolve) => {
    w.onReceive((text) => {
      const type = typeOf(text);
      if (type === 'welcome') resolve(true);
      else if (type === 'error' || type === 'bye') resolve(false);
      onText(text);
    });
    void w.closed.then(() => resolve(false));
    setTimeout(() => resolve(false), 10_000);
  });
  w.send({ type: 'hello', nick });
  if (!(await welcome)) throw new Error(`the bystander could not register${bye ? ` (bye ${bye})` : ''}`);
  timer = setInterval(ping, 1000 / perSecond);
}

process.on('message', (raw) => {
  const cmd = raw as BystanderCmd;
  void (async () => {
    try {
      switch (cmd.cmd) {
        case 'start':
          await start(cmd.port, cmd.perSecond, cmd.localAddress, cmd.nick);
          return reply({ type: 'ready' });
        case 'mark': {
          const ended = current;
          current = newWindow();
          await settle(ended);
          return reply({ type: 'stats', stats: stats(ended) });
        }
        case 'total':
          return reply({ type: 'stats', stats: stats(all) });
        case 'stop': {
          if (timer) clearInterval(timer);
          await settle(current);
          reply({ type: 'stats', stats: stats(all) });
          wire?.close();
          setTimeout(() => process.exit(0), 100);
          return;
        }
      }
    } catch (err) {
      reply({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  })();
});
process.on('disconnect', () => process.exit(0));
