/**
 * Attack report row 7: input that makes no message. Registered connections stream text-mode CR NUL,
 * empty JSON lines and telnet IAC NOP as fast as the server takes them.
 */
import { Attacker, emptyOutcome, type Attack, type AttackContext, type AttackOutcome } from './attack.js';
import { addressOf, sleep, type WireKind, stopController } from './wire.js';

const CHUNK_BYTES = 64 * 1024;
const RECONNECT_MS = 1000;

const STREAMS: Array<{ kind: WireKind; name: string; chunk: Buffer }> = [
  { kind: 'text', name: 'crnul', chunk: Buffer.alloc(CHUNK_BYTES, '\r\0') },
  { kind: 'tcp', name: 'newlines', chunk: Buffer.alloc(CHUNK_BYTES, '\n') },
  { kind: 'text', name: 'iacnop', chunk: Buffer.alloc(CHUNK_BYTES, Buffer.from([255, 241])) },
];

export function freeInputAttack(ctx: AttackContext): Attack {
  const out = emptyOutcome();
  const stop = stopController();
  const loops: Promise<void>[] = [];

  async function stream(i: number): Promise<void> {
    const { kind, name, chunk } = STREAMS[i]!;
    const a = new Attacker(out);
    while (!stop.signal.aborted) {
      if (await a.open(kind, ctx.tcpPort, addressOf(ctx.group, 0), `fi${ctx.group}${name}${out.connections}`)) {
        const socket = a.wire!.socket;
        // Writes as fast as the server reads: the next chunk once the last one left our buffer.
        while (!stop.signal.aborted && a.live) {
          out.requests++;
          if (!a.wire!.write(chunk)) {
            await Promise.race([new Promise((r) => socket.once('drain', r)), a.wire!.closed, sleep(60_000, stop.signal)]);
          } else {
            await new Promise((r) => setImmediate(r));
          }
        }
      }
      if (!stop.signal.aborted) await sleep(RECONNECT_MS, stop.signal);
    }
    await a.close();
  }

  return {
    name: 'free-input',
    describe: `${STREAMS.length} registered connections streaming ${STREAMS.map((s) => s.name).join(', ')} as fast as the server reads`,
    async prepare() {},
    start() {
      for (let i = 0; i < STREAMS.length; i++) loops.push(stream(i));
    },
    async stop(): Promise<AttackOutcome> {
      stop.abort();
      await Promise.all(loops);
      return out;
    },
  };
}
