/**
 * Attack report row 5: DMs aimed at one user. Ten connections from one address each send 16 KB DMs at
 * 19/s to a victim that reads at 1 MB/s (an 8 Mbit/s link). The victim did nothing wrong: it must
 * never be dropped, and still answers a ping at the end.
 */
import { Attacker, Ticker, emptyOutcome, type Attack, type AttackContext, type AttackOutcome } from './attack.js';
import { MAX_TEXT } from './history.js';
import { Wire, addressOf, parse, sleep, typeOf, stopController } from './wire.js';

export interface DmVictimOptions {
  senders: number;
  rate: number;
  victimReadBytesPerSec: number;
}

const RECONNECT_MS = 1000;

export function dmVictimAttack(ctx: AttackContext, opts: Partial<DmVictimOptions> = {}): Attack {
  const o: DmVictimOptions = { senders: 10, rate: 19, victimReadBytesPerSec: 1_000_000, ...opts };
  const nick = `victim${ctx.group}`;
  const out = emptyOutcome();
  const stop = stopController();
  const stopped = new Promise((r) => stop.signal.addEventListener('abort', r, { once: true }));
  const loops: Promise<void>[] = [];
  let victim: Wire | null = null;
  let victimBye: string | null = null;
  let pongSeen = false;
  let victimPong: () => void = () => {};
  let received = 0;

  async function sender(i: number): Promise<void> {
    const a = new Attacker(out);
    const ticker = new Ticker();
    let n = 0;
    while (!stop.signal.aborted) {
      const ok = await a.open('tcp', ctx.tcpPort, addressOf(ctx.group, 0), `dm${ctx.group}x${i}n${out.connections}`, (text, type) => {
        // The sender's own copy carries its ref: the DM went through.
        if (type === 'dm' && text.subarray(text.length - 80).includes('"ref":')) out.answered++;
      });
      if (ok) {
        ticker.start(1000 / o.rate, () => a.send({ type: 'dm', to: nick, text: MAX_TEXT, ref: `d${n++}` }));
        await Promise.race([a.wire!.closed, stopped]);
        ticker.stop();
      }
      if (!stop.signal.aborted) await sleep(RECONNECT_MS, stop.signal);
    }
    await a.close();
  }

  return {
    name: 'dm-victim',
    describe: `${o.senders} connections from one address, each sending 16 KB DMs at ${o.rate}/s to one victim that reads at ${o.victimReadBytesPerSec / 1e6} MB/s`,
    async prepare() {
      victim = await Wire.open({ kind: 'tcp', port: ctx.tcpPort, localAddress: addressOf(ctx.group + 1, 0), readBytesPerSec: o.victimReadBytesPerSec });
      let welcomed: () => void = () => {};
      const welcome = new Promise<void>((r) => { welcomed = r; });
      victim.onReceive((text) => {
        const type = typeOf(text);
        if (type === 'dm') received++;
        else if (type === 'welcome') welcomed();
        else if (type === 'bye') victimBye = parse<{ reason: string }>(text).reason;
        else if (type === 'pong') {
          pongSeen = true;
          victimPong();
        }
      });
      victim.send({ type: 'hello', nick });
      await Promise.race([welcome, victim.closed, sleep(10_000)]);
      if (victim.isClosed) throw new Error('dm-victim: the victim could not register');
    },
    start() {
      for (let i = 0; i < o.senders; i++) loops.push(sender(i));
    },
    async stop(): Promise<AttackOutcome> {
      stop.abort();
      await Promise.all(loops);
      // The victim is still here and still answers once the senders are gone.
      let victimDropped: string | null = null;
      if (victim && !victim.isClosed) {
        const pong = new Promise<void>((r) => { victimPong = r; });
        victim.send({ type: 'ping', ref: 'alive' });
        await Promise.race([pong, victim.closed, sleep(15_000)]);
        if (!pongSeen) victimDropped = victim.isClosed ? victimBye ?? 'closed' : 'no pong within 15 s';
      } else {
        victimDropped = victimBye ?? 'closed';
      }
      victim?.close();
      await victim?.closed;
      return { ...out, victimDropped, victimReceived: received };
    },
  };
}
