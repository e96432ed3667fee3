/**
 * A connection whose own unsent output is over half of --max-buffered-bytes waits before its next
 * message, and carries on once that output has gone: in process, over real sockets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { JsonClient } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/in-process.js';
import { removeDir } from '../helpers/server.js';

let s: InProcessServer | null = null;
afterEach(async () => {
  if (!s) return;
  await s.server.stop();
  removeDir(s.dataDir);
  s = null;
});

describe('pacing by unsent output', () => {
  it('with a bound under the socket buffer, a message held behind a large answer is still handled once that answer has gone', async () => {
    // Half the bound (2 KiB) is far below the socket's high-water mark (16 KiB), where Node emits no 'drain'.
    s = await startInProcess({ args: ['--max-buffered-bytes', '4096'] });
    const client = await JsonClient.registered('tcp', s.tcpPort, 'pacer');
    for (let i = 0; i < 3; i++) {
      client.send({ type: 'say', room: '#lobby', text: `${i} ${'x'.repeat(1000)}`, ref: `s${i}` });
      await client.next((m) => m.type === 'ack' && m.ref === `s${i}`);
    }
    // One packet: a history page of about 3 KiB, then a ping that must wait for that page to leave.
    client.sendRaw(`${JSON.stringify({ type: 'history', room: '#lobby' })}\n${JSON.stringify({ type: 'ping', ref: 'after' })}\n`);
    const page = await client.next((m) => m.type === 'history' && m.room === '#lobby');
    expect(page.type === 'history' && page.messages.length).toBe(3);
    await client.next((m) => m.type === 'pong' && m.ref === 'after');
    expect(client.closed).toBe(false);
    client.close();
  });
});
