/**
 * Attack report rows 3-4: a long room list. Holders create a few hundred rooms with the longest topics
 * allowed; an attacker then writes `burst` × `rooms` in one packet, again once all are answered.
 */
import { Attacker, emptyOutcome, inBatches, type Attack, type AttackContext, type AttackOutcome } from './attack.js';
import { addressOf, sleep, stopController } from './wire.js';

export interface RoomsListOptions {
  /** Connections holding rooms; each holds `roomsPerHolder` besides #lobby (the default cap is 50 in all). */
  holders: number;
  roomsPerHolder: number;
  burst: number;
}

/** 250 emoji: 1,000 bytes, the default --max-topic-bytes. */
const TOPIC = '🌊'.repeat(250);
const ROOMS_PER_WRITE = 10;
const RECONNECT_MS = 1000;

export function roomsListAttack(ctx: AttackContext, opts: Partial<RoomsListOptions> = {}): Attack {
  const o: RoomsListOptions = { holders: 8, roomsPerHolder: 49, burst: 38, ...opts };
  const out = emptyOutcome();
  const stop = stopController();
  const stopped = new Promise((r) => stop.signal.addEventListener('abort', r, { once: true }));
  const holders: Attacker[] = [];
  let loop: Promise<void> | null = null;

  async function hold(i: number): Promise<void> {
    const h = new Attacker(emptyOutcome());
    holders.push(h);
    let lastTopic: (() => void) | null = null;
    let refusal: ((code: string) => void) | null = null;
    let waitingFor = '';
    const ok = await h.open('tcp', ctx.tcpPort, addressOf(ctx.group + 1, i), `rh${ctx.group}x${i}`, (text, type) => {
      if (type === 'topic' && text.subarray(0, 60).includes(`"room":"${waitingFor}"`)) lastTopic?.();
      else if (type === 'error') refusal?.(text.toString('utf8'));
    });
    if (!ok) throw new Error('rooms-list: a holder was refused');
    for (let k = 0; k < o.roomsPerHolder; k += ROOMS_PER_WRITE) {
      const names = Array.from({ length: Math.min(ROOMS_PER_WRITE, o.roomsPerHolder - k) }, (_, j) => `#rl${ctx.group}x${i}r${k + j}`);
      waitingFor = names[names.length - 1]!;
      const done = new Promise<void>((resolve, reject) => {
        lastTopic = resolve;
        refusal = (error) => reject(new Error(`rooms-list: a holder was refused: ${error}`));
      });
      h.sendBatch(names.flatMap((room) => [{ type: 'join', room }, { type: 'topic', room, topic: TOPIC }]));
      await Promise.race([done, h.wire!.closed]);
      if (!h.live) throw new Error(`rooms-list: a holder was dropped (${h.bye ?? 'closed'})`);
    }
  }

  async function attack(): Promise<void> {
    const a = new Attacker(out);
    let waiting = 0;
    while (!stop.signal.aborted) {
      const burst = () => {
        waiting = o.burst;
        // Half from the start, half from further in, as a client paging through would.
        a.sendBatch(Array.from({ length: o.burst }, (_, i) => (i % 2 ? { type: 'rooms', from: 150 } : { type: 'rooms' })));
      };
      const ok = await a.open('tcp', ctx.tcpPort, addressOf(ctx.group, 0), `ra${ctx.group}n${out.connections}`, (_text, type) => {
        if (type !== 'rooms') return;
        out.answered++;
        if (--waiting === 0 && !stop.signal.aborted) burst();
      });
      if (ok) {
        burst();
        await Promise.race([a.wire!.closed, stopped]);
      }
      if (!stop.signal.aborted) await sleep(RECONNECT_MS, stop.signal);
    }
    await a.close();
  }

  return {
    name: 'rooms-list',
    describe: `${o.holders * o.roomsPerHolder} rooms with 1,000-byte topics (${o.holders} holders); one connection writes ${o.burst} × \`rooms\` in one packet, again once all are answered`,
    async prepare() {
      await inBatches(Array.from({ length: o.holders }, (_, i) => i), 4, (i) => hold(i));
    },
    start() {
      loop = attack();
    },
    async stop(): Promise<AttackOutcome> {
      stop.abort();
      await loop;
      await Promise.all(holders.map((h) => h.close()));
      return out;
    },
  };
}
