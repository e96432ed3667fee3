/** Every member sees every message exactly once, in one seq order, across 200+ concurrent clients. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonClient } from '../helpers/clients.js';
import { removeDir, startServer, type RunningServer } from '../helpers/server.js';

let server: RunningServer;
beforeAll(async () => { server = await startServer(); });
afterAll(async () => { await server.stop(); removeDir(server.dataDir); });

const CLIENTS = 220;
const SENDERS = 10;
const PER_SENDER = 20;

describe('ordering under concurrency', () => {
  it(`${CLIENTS} clients over ws and tcp each get all ${SENDERS * PER_SENDER} messages once, in the same order`, async () => {
    const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) =>
      JsonClient.registered(i % 2 ? 'tcp' : 'ws', i % 2 ? server.tcpPort : server.wsUrl, `ord${i}`)));
    await Promise.all(clients.map(async (c) => {
      c.send({ type: 'join', room: '#order' });
      await c.next((m) => m.type === 'who' && m.room === '#order');
    }));
    const expected = SENDERS * PER_SENDER;
    for (let k = 0; k < PER_SENDER; k++) {
      for (let s = 0; s < SENDERS; s++) clients[s * 7]!.send({ type: 'say', room: '#order', text: `s${s} k${k}` });
    }
    const sequences = await Promise.all(clients.map(async (c) => {
      const got: Array<{ seq: number; text: string }> = [];
      while (got.length < expected) {
        const m = await c.next((x) => x.type === 'message' && x.room === '#order', 15_000);
        if (m.type === 'message') got.push({ seq: m.seq, text: m.text });
      }
      expect(await c.none((x) => x.type === 'message', 200)).toBe(true);
      return got;
    }));
    const first = sequences[0]!;
    expect(first.map((m) => m.seq)).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
    expect(new Set(first.map((m) => m.text)).size).toBe(expected);
    for (const seq of sequences) expect(seq).toEqual(first);
    // Each sender's own messages keep the order they were sent in.
    for (let s = 0; s < SENDERS; s++) {
      const mine = first.filter((m) => m.text.startsWith(`s${s} `)).map((m) => m.text);
      expect(mine).toEqual(Array.from({ length: PER_SENDER }, (_, k) => `s${s} k${k}`));
    }
    for (const c of clients) c.close();
  }, 60_000);
});
