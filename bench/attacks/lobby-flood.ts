/**
 * Attack report row 6: a flooded room. Talkers say 16 KB messages in #lobby at 19/s each, beside members
 * that joined and never read. Every reading member of #lobby (the bystander among them) gets the flood;
 * the members that never read are the ones to drop. With `cycleMs`, the stalled members are replaced
 * that often, so a long run keeps some filling up.
 */
import { Attacker, Ticker, emptyOutcome, inBatches, type Attack, type AttackContext, type AttackOutcome } from './attack.js';
import { MAX_TEXT } from './history.js';
import { addressOf, parse, sleep, stopController } from './wire.js';

export interface LobbyFloodOptions {
  talkers: number;
  rate: number;
  stalled: number;
  /** Replace the stalled members this often (0: never). */
  cycleMs: number;
}

const ROOM = '#lobby';
const RECONNECT_MS = 1000;

export function lobbyFloodAttack(ctx: AttackContext, opts: Partial<LobbyFloodOptions> = {}): Attack {
  const o: LobbyFloodOptions = { talkers: 3, rate: 19, stalled: 20, cycleMs: 0, ...opts };
  const out = emptyOutcome();
  const stop = stopController();
  const stopped = new Promise((r) => stop.signal.addEventListener('abort', r, { once: true }));
  const loops: Promise<void>[] = [];
  let stalled: Attacker[] = [];
  let generation = 0;

  async function talker(i: number): Promise<void> {
    const a = new Attacker(out);
    const ticker = new Ticker();
    let n = 0;
    while (!stop.signal.aborted) {
      const ok = await a.open('ws', ctx.wsPort, addressOf(ctx.group, 0), `lf${ctx.group}x${i}n${out.connections}`, (text, type) => {
        if (type !== 'ack') return;
        out.answered++;
        const ack = parse<{ id: string; seq: number }>(text);
        ctx.ledger?.ack(ROOM, ack.id, ack.seq);
      });
      if (ok) {
        ticker.start(1000 / o.rate, () => a.send({ type: 'say', room: ROOM, text: MAX_TEXT, ref: `l${n++}` }));
        await Promise.race([a.wire!.closed, stopped]);
        ticker.stop();
      }
      if (!stop.signal.aborted) await sleep(RECONNECT_MS, stop.signal);
    }
    await a.close();
  }

  /** Members that register (and so join #lobby) and then never read again. */
  async function stallSome(): Promise<Attacker[]> {
    const g = generation++;
    const made = await inBatches(Array.from({ length: o.stalled }, (_, i) => i), 20, async (i) => {
      const s = new Attacker(out);
      if (!(await s.open('tcp', ctx.tcpPort, addressOf(ctx.group, 0), `ls${ctx.group}x${i}g${g}`))) return null;
      s.wire!.stall();
      return s;
    });
    return made.filter((s): s is Attacker => s !== null);
  }

  async function cycle(): Promise<void> {
    while (!stop.signal.aborted) {
      await sleep(o.cycleMs, stop.signal);
      if (stop.signal.aborted) break;
      const old = stalled;
      stalled = await stallSome();
      await Promise.all(old.map((s) => s.close()));
    }
  }

  return {
    name: 'lobby-flood',
    describe: `${o.talkers} talkers saying 16 KB messages in #lobby at ${o.rate}/s each, beside ${o.stalled} members that never read`,
    async prepare() {
      stalled = await stallSome();
    },
    start() {
      for (let i = 0; i < o.talkers; i++) loops.push(talker(i));
      if (o.cycleMs > 0) loops.push(cycle());
    },
    async stop(): Promise<AttackOutcome> {
      stop.abort();
      await Promise.all(loops);
      await Promise.all(stalled.map((s) => s.close()));
      return out;
    },
  };
}
