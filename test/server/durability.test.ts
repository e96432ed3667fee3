/** Acked messages survive SIGKILL: after a restart they are in history with their id and seq. */
import { afterAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../shared/protocol.js';
import { JsonClient } from '../helpers/clients.js';
import { makeTempDir, removeDir, startServer, type RunningServer } from '../helpers/server.js';

const dataDir = makeTempDir();
let server: RunningServer | null = null;
afterAll(async () => { await server?.stop('SIGKILL'); removeDir(dataDir); });

async function readAll(c: JsonClient, room: string): Promise<ChatMessage[]> {
  const all: ChatMessage[] = [];
  let before: number | undefined;
  for (;;) {
    c.send(before === undefined ? { type: 'history', room, limit: 200 } : { type: 'history', room, before, limit: 200 });
    const page = await c.next((m) => m.type === 'history' && m.room === room);
    if (page.type !== 'history') throw new Error('unreachable');
    all.unshift(...page.messages);
    if (!page.more) return all;
    before = page.messages[0]!.seq;
  }
}

describe('durability', () => {
  it('every acked message is in history after SIGKILL and restart, and seq carries on', async () => {
    server = await startServer({ dataDir, args: ['--rate-limit', '0'] });
    const senders = await Promise.all([0, 1, 2].map((i) => JsonClient.registered(i === 1 ? 'tcp' : 'ws', i === 1 ? server!.tcpPort : server!.wsUrl, `dur${i}`)));
    for (const s of senders) {
      s.send({ type: 'join', room: '#durable' });
      await s.next((m) => m.type === 'who' && m.room === '#durable');
    }
    const acked = new Map<string, { id: string; seq: number }>();
    const total = 300;
    // Fire in bursts, and kill while later bursts are still in flight.
    for (let i = 0; i < total; i++) {
      senders[i % 3]!.send({ type: 'say', room: '#durable', text: `msg ${i}`, ref: `r${i}`, });
    }
    for (const [i, s] of senders.entries()) {
      for (let k = 0; k < total / 3; k++) {
        const ack = await s.next('ack');
        if (ack.type === 'ack') acked.set(ack.ref, { id: ack.id, seq: ack.seq });
        if (i === 2 && k === 50) break;
      }
    }
    for (let i = 0; i < 30; i++) senders[0]!.send({ type: 'say', room: '#durable', text: `late ${i}`, ref: `late${i}` });
    const lateAcks = await senders[0]!.next((m) => m.type === 'ack' && m.ref === 'late0').catch(() => null);
    if (lateAcks?.type === 'ack') acked.set('late0', { id: lateAcks.id, seq: lateAcks.seq });
    expect(await server.stop('SIGKILL')).toBe(null);
    expect(server.proc.signalCode).toBe('SIGKILL');
    for (const s of senders) s.close();

    server = await startServer({ dataDir, args: ['--rate-limit', '0'] });
    const reader = await JsonClient.registered('ws', server.wsUrl, 'reader');
    const stored = await readAll(reader, '#durable');
    const byId = new Map(stored.map((m) => [m.id, m]));
    expect(acked.size).toBeGreaterThanOrEqual(250);
    for (const [ref, { id, seq }] of acked) {
      expect(byId.get(id), `acked ${ref} missing`).toMatchObject({ seq });
    }
    const seqs = stored.map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);

    reader.send({ type: 'join', room: '#durable' });
    await reader.next((m) => m.type === 'who' && m.room === '#durable');
    reader.send({ type: 'say', room: '#durable', text: 'after restart', ref: 'new' });
    const ack = await reader.next('ack');
    expect(ack.type === 'ack' && ack.seq).toBe(Math.max(...seqs) + 1);
    reader.close();
  });

  it('a topic survives a restart', async () => {
    server ??= await startServer({ dataDir, args: ['--rate-limit', '0'] });
    const c = await JsonClient.registered('ws', server.wsUrl, 'topical');
    c.send({ type: 'join', room: '#kept' });
    await c.next((m) => m.type === 'who' && m.room === '#kept');
    c.send({ type: 'topic', room: '#kept', topic: 'kept across restarts' });
    await c.next('topic');
    await server.stop('SIGKILL');
    server = await startServer({ dataDir, args: ['--rate-limit', '0'] });
    const d = await JsonClient.registered('ws', server.wsUrl, 'topical2');
    d.send({ type: 'join', room: '#kept' });
    await d.next((m) => m.type === 'who' && m.room === '#kept');
    d.send({ type: 'rooms' });
    const rooms = await d.next('rooms');
    expect(rooms.type === 'rooms' && rooms.rooms.find((r) => r.name === '#kept')?.topic).toBe('kept across restarts');
    d.close();
  });
});
