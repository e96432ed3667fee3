/**
 * A full disk, for real: the data folder is a small tmpfs that a filler file nearly fills. Senders get
 * INTERNAL (never silence, never an ack for a message that was not stored), /healthz answers 503 with the
 * failed commit and its age, and once space is freed messages are acked again and /healthz is 200.
 */
import { statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../shared/protocol.js';
import { JsonClient } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/in-process.js';
import { canMount, mountTmpfs, unmount } from '../helpers/mounts.js';

let dir: string | null = null;
let s: InProcessServer | null = null;
afterAll(async () => {
  await s?.server.stop();
  if (dir) unmount(dir);
});

interface Health {
  status: string;
  problems: string[];
  store: { lastCommit: { ok: boolean; ageSeconds: number; error?: string } | null; lastError: { message: string; ageSeconds: number } | null };
}

describe.skipIf(!canMount)('a full disk', () => {
  it('fails messages with INTERNAL, shows in /healthz, and recovers once space is freed', async () => {
    dir = mountTmpfs(4);
    s = await startInProcess({ dataDir: dir, args: ['--rate-limit', '0'] });
    const sender = await JsonClient.registered('ws', s.wsUrl, 'filler');
    const bystander = await JsonClient.registered('tcp', s.tcpPort, 'watcher');
    // Leave a little room: enough for some messages, not for many.
    const filler = path.join(dir, 'filler');
    const { bavail, bsize } = statfsSync(dir);
    writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - 192 * 1024)));

    const text = 'x'.repeat(4000);
    let acked = 0;
    let refused: (ServerMessage & { type: 'error' }) | null = null;
    for (let i = 0; i < 400 && !refused; i++) {
      sender.send({ type: 'say', room: '#lobby', text, ref: `m${i}` });
      const answer = await sender.next((m) => (m.type === 'ack' || m.type === 'error') && m.ref === `m${i}`);
      if (answer.type === 'ack') acked++;
      else if (answer.type === 'error') refused = answer;
    }
    expect(refused).toMatchObject({ code: 'INTERNAL', message: 'the message could not be stored, so it was not sent: database or disk is full' });
    expect(acked).toBeGreaterThan(0);
    // Exactly the acked messages went out; the refused one did not.
    await bystander.next((m) => m.type === 'message' && m.seq === acked);
    expect(bystander.received.filter((m) => m.type === 'message')).toHaveLength(acked);

    const full = await s.admin('/healthz');
    expect(full.status).toBe(503);
    const body = (await full.json()) as Health;
    expect(body.status).toBe('unavailable');
    expect(body.problems.some((p) => /^the last commit failed [\d.]+ s ago: database or disk is full$/.test(p))).toBe(true);
    expect(body.store.lastCommit).toMatchObject({ ok: false, error: 'database or disk is full' });
    expect(body.store.lastCommit!.ageSeconds).toBeGreaterThanOrEqual(0);
    expect(body.store.lastError?.message).toBe('database or disk is full');

    unlinkSync(filler);
    sender.send({ type: 'say', room: '#lobby', text: 'room again', ref: 'after' });
    expect(await sender.next((m) => (m.type === 'ack' || m.type === 'error') && m.ref === 'after')).toMatchObject({ type: 'ack' });
    expect(await bystander.next((m) => m.type === 'message' && m.text === 'room again')).toBeTruthy();
    const healed = await s.admin('/healthz');
    expect(healed.status).toBe(200);
    expect(((await healed.json()) as Health).store.lastCommit).toMatchObject({ ok: true });
    sender.close();
    bystander.close();
  });
});
