/**
 * Attack report rows 9, 10 and 12: sockets that connect and never register, from one address: plain TCP
 * sockets that send nothing, and WebSocket upgrades with no hello. Each one the server closes (or
 * refuses) is opened again after a second, so the attacker always holds as many as it can.
 */
import { Attacker, emptyOutcome, type Attack, type AttackContext, type AttackOutcome } from './attack.js';
import { addressOf, sleep, type WireKind, stopController } from './wire.js';

export interface SilentOptions {
  tcp: number;
  ws: number;
}

const REOPEN_MS = 1000;

export function silentSocketsAttack(ctx: AttackContext, opts: Partial<SilentOptions> = {}): Attack {
  const o: SilentOptions = { tcp: 100, ws: 50, ...opts };
  const out = emptyOutcome();
  const stop = stopController();
  const stopped = new Promise((r) => stop.signal.addEventListener('abort', r, { once: true }));
  const loops: Promise<void>[] = [];
  let held = 0;
  let heldPeak = 0;

  async function slot(kind: WireKind, port: number): Promise<void> {
    const a = new Attacker(out);
    while (!stop.signal.aborted) {
      if (await a.open(kind, port, addressOf(ctx.group, 0), null)) {
        held++;
        heldPeak = Math.max(heldPeak, held);
        await Promise.race([a.wire!.closed, stopped]);
        held--;
      }
      if (!stop.signal.aborted) await sleep(REOPEN_MS, stop.signal);
    }
    await a.close();
  }

  return {
    name: 'silent-sockets',
    describe: `${o.tcp} TCP sockets that send nothing and ${o.ws} WebSocket upgrades with no hello, from one address, reopened when closed`,
    async prepare() {},
    start() {
      // TCP sockets that send nothing are read as text mode (the banner comes after 500 ms).
      for (let i = 0; i < o.tcp; i++) loops.push(slot('text', ctx.tcpPort));
      for (let i = 0; i < o.ws; i++) loops.push(slot('ws', ctx.wsPort));
    },
    async stop(): Promise<AttackOutcome> {
      stop.abort();
      await Promise.all(loops);
      return { ...out, heldPeak };
    },
  };
}
