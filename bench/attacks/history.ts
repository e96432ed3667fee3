/**
 * Attack report rows 1-2: history amplification. A room is filled with maximal messages; then each
 * attacker either writes `burst` × `history limit 200` in one packet and does it again once all are
 * answered (burst), or asks at `rate` a second whatever comes back (sustained).
 */
import { Attacker, Ticker, emptyOutcome, inBatches, type Attack, type AttackContext, type AttackOutcome } from './attack.js';
import { addressOf, parse, sleep, stopController } from './wire.js';

export interface HistoryOptions {
  mode: 'burst' | 'sustained';
  conns: number;
  /** Requests per packet (burst). */
  burst: number;
  /** Requests a second per connection (sustained). */
  rate: number;
  /** Messages of 4,000 emoji (16 KB) in the room; a page holds about 16 of them. */
  fill: number;
}

/** The longest text allowed (4,000 code points), of 4-byte emoji: 16 KB. */
export const MAX_TEXT = '😀'.repeat(4000);

/** A maximal text that starts with `prefix`. */
export function maxText(prefix: string): string {
  return prefix + '😀'.repeat(4000 - [...prefix].length);
}
const RECONNECT_MS = 1000;

export function historyAttack(ctx: AttackContext, opts: Partial<HistoryOptions> = {}): Attack {
  const o: HistoryOptions = { mode: 'burst', conns: 1, burst: 38, rate: 19, fill: 120, ...opts };
  const room = `#hist${ctx.group}`;
  const out = emptyOutcome();
  const stop = stopController();
  const stopped = new Promise((r) => stop.signal.addEventListener('abort', r, { once: true }));
  const keeper = new Attacker(emptyOutcome());
  const loops: Promise<void>[] = [];
  const roomField = `"room":"${room}"`;
  const inRoom = (text: Buffer) => text.subarray(0, 80).includes(roomField);

  async function fill(): Promise<void> {
    if (!(await keeper.open('tcp', ctx.tcpPort, addressOf(ctx.group + 1, 0), `hk${ctx.group}`))) throw new Error('history: keeper refused');
    keeper.send({ type: 'join', room });
    const fillers = 4;
    let next = 0;
    await inBatches(Array.from({ length: fillers }, (_, i) => i), fillers, async (i) => {
      const f = new Attacker(emptyOutcome());
      let answer: ((type: string, text: Buffer) => void) | null = null;
      const ok = await f.open('tcp', ctx.tcpPort, addressOf(ctx.group + 1, 1 + i), `hf${ctx.group}x${i}`, (text, type) => {
        if (type === 'ack' || type === 'error') answer?.(type, text);
      });
      if (!ok) throw new Error('history: a filler was refused');
      f.send({ type: 'join', room });
      while (next < o.fill && !stop.signal.aborted) {
        const k = next++;
        // One at a time: the room's byte rate refuses what comes too fast, and that is retried.
        for (;;) {
          const reply = await new Promise<[string, Buffer]>((resolve) => {
            answer = (type, text) => resolve([type, Buffer.from(text)]);
            f.send({ type: 'say', room, text: maxText(`${k} `), ref: `f${k}` });
          });
          if (reply[0] === 'ack') {
            const a = parse<{ id: string; seq: number }>(reply[1]);
            ctx.ledger?.ack(room, a.id, a.seq);
            break;
          }
          const code = parse<{ code: string }>(reply[1]).code;
          if (code !== 'RATE_LIMITED') throw new Error(`history: filling the room got ${code}`);
          await sleep(250, stop.signal);
        }
      }
      await f.close();
    });
  }

  async function attacker(i: number): Promise<void> {
    const a = new Attacker(out);
    let waiting = 0;
    const ticker = new Ticker();
    while (!stop.signal.aborted) {
      const ok = await a.open('tcp', ctx.tcpPort, addressOf(ctx.group, 0), `ha${ctx.group}x${i}n${out.connections}`, (text, type) => {
        if (type !== 'history' || !inRoom(text)) return;
        out.answered++;
        if (o.mode === 'burst' && --waiting === 0 && !stop.signal.aborted) burst();
      });
      const burst = () => {
        waiting = o.burst;
        a.sendBatch(Array.from({ length: o.burst }, () => ({ type: 'history', room, limit: 200 })));
      };
      if (ok) {
        if (o.mode === 'burst') burst();
        else ticker.start(1000 / o.rate, () => a.send({ type: 'history', room, limit: 200 }));
        await Promise.race([a.wire!.closed, stopped]);
        ticker.stop();
      }
      if (!stop.signal.aborted) await sleep(RECONNECT_MS, stop.signal);
    }
    await a.close();
  }

  return {
    name: o.mode === 'burst' ? 'history-burst' : 'history-sustained',
    describe: o.mode === 'burst'
      ? `${o.conns} connection(s), each writing ${o.burst} × \`history limit 200\` in one packet (again once all are answered), in a room of ${o.fill} × 16 KB messages`
      : `${o.conns} connections, each sending \`history limit 200\` at ${o.rate}/s whatever the answers, in a room of ${o.fill} × 16 KB messages`,
    prepare: fill,
    start() {
      for (let i = 0; i < o.conns; i++) loops.push(attacker(i));
    },
    async stop(): Promise<AttackOutcome> {
      stop.abort();
      await Promise.all(loops);
      await keeper.close();
      return out;
    },
  };
}
