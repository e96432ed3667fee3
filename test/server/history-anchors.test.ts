/**
 * Reading history from an anchor: `history{after}` pages forward and `locate` finds a message's seq by
 * id or time, from the room's window while it is served and from the store once it is not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage, ServerMessage } from '../../shared/protocol.js';
import { fullHistory, JsonClient } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/in-process.js';
import { removeDir } from '../helpers/server.js';

let server: InProcessServer;
beforeAll(async () => { server = await startInProcess({ args: ['--rate-limit', '0', '--room-rate', '0'] }); });
afterAll(async () => {
  await server.server.stop();
  removeDir(server.dataDir);
});

async function ask(c: JsonClient, message: Record<string, unknown>): Promise<ServerMessage> {
  const ref = `r${Math.random()}`;
  c.send({ ...message, ref });
  return c.next((m) => (m.type === 'error' && m.ref === ref) || (m.type === 'located' && m.ref === ref) || (m.type === 'history' && m.room === message.room));
}

const seqs = (m: ServerMessage) => (m.type === 'history' ? m.messages.map((x) => x.seq) : []);

/** The seq `locate{ts}` must give: the last message older than `ts`. */
const lastBefore = (all: ChatMessage[], ts: number) => all.filter((m) => m.ts < ts).at(-1)?.seq ?? 0;

describe('history after and locate', () => {
  it('from the window while the room is served, and from the store once it is not', async () => {
    const writer = await JsonClient.registered('tcp', server.tcpPort, 'scribe');
    await writer.join('#anchors');
    for (let i = 1; i <= 30; i++) writer.send({ type: 'say', room: '#anchors', text: `m${i}`, ref: `s${i}` });
    await writer.next((m) => m.type === 'ack' && m.ref === 's30');
    const all = await fullHistory(writer, '#anchors');
    expect(all.map((m) => m.text)).toEqual(Array.from({ length: 30 }, (_, i) => `m${i + 1}`));
    const reader = await JsonClient.registered('ws', server.wsUrl, 'reader');

    const check = async () => {
      expect(await ask(reader, { type: 'locate', room: '#anchors', id: all[9]!.id })).toMatchObject({ type: 'located', room: '#anchors', seq: all[9]!.seq });
      const missing = await ask(reader, { type: 'locate', room: '#anchors', id: 'no-such-message-id' });
      expect(missing).toMatchObject({ type: 'located' });
      expect(missing).not.toHaveProperty('seq');
      const at = all[19]!.ts;
      expect(await ask(reader, { type: 'locate', room: '#anchors', ts: at })).toMatchObject({ seq: lastBefore(all, at) });
      expect(await ask(reader, { type: 'locate', room: '#anchors', ts: 0 })).toMatchObject({ seq: 0 });
      const first = await ask(reader, { type: 'history', room: '#anchors', after: all[9]!.seq, limit: 5 });
      expect(seqs(first)).toEqual(all.slice(10, 15).map((m) => m.seq));
      expect(first).toMatchObject({ more: true });
      const last = await ask(reader, { type: 'history', room: '#anchors', after: all[24]!.seq, limit: 10 });
      expect(seqs(last)).toEqual(all.slice(25).map((m) => m.seq));
      expect(last).toMatchObject({ more: false });
      const between = await ask(reader, { type: 'history', room: '#anchors', after: all[9]!.seq, before: all[12]!.seq });
      expect(seqs(between)).toEqual([all[10]!.seq, all[11]!.seq]);
      expect(between).toMatchObject({ more: false });
    };
    await check();
    // The last member leaves: the room is no longer served, and the store answers the same.
    writer.close();
    await reader.next((m) => m.type === 'left' && m.nick === 'scribe');
    await check();
    expect(await ask(reader, { type: 'locate', room: '#anchors' })).toMatchObject({ type: 'error', code: 'BAD_MESSAGE' });
    expect(await ask(reader, { type: 'locate', room: '#anchors', id: 'x', ts: 1 })).toMatchObject({ type: 'error', code: 'BAD_MESSAGE' });
    reader.close();
  });

  it('a secret room answers an outsider as an empty one', async () => {
    const owner = await JsonClient.registered('tcp', server.tcpPort, 'Keeper');
    owner.send({ type: 'register', password: 'correct horse', ref: 'r' });
    await owner.next('account');
    await owner.join('#hush');
    owner.send({ type: 'settings', room: '#hush', secret: true, ref: 'st' });
    await owner.next((m) => m.type === 'notice' && m.ref === 'st');
    owner.send({ type: 'say', room: '#hush', text: 'quiet', ref: 'q' });
    const ack = await owner.next('ack');
    const outsider = await JsonClient.registered('ws', server.wsUrl, 'nosy');
    const located = await ask(outsider, { type: 'locate', room: '#hush', id: ack.type === 'ack' ? ack.id : '' });
    expect(located).not.toHaveProperty('seq');
    expect(seqs(await ask(outsider, { type: 'history', room: '#hush', after: 0 }))).toEqual([]);
    owner.close();
    outsider.close();
  });
});
