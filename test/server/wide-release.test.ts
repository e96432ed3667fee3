/**
 * A broadcast wider than one release slice (1,024 sockets) leaves over several event-loop turns while
 * new messages keep arriving: every member must still get every message once, in seq order.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineSplitter } from '../../shared/lines.js';
import { removeDir, startServer, type RunningServer } from '../helpers/server.js';

const MEMBERS = 1_300;
const SENDERS = 3;
const PER_SENDER = 20;

interface Member {
  socket: net.Socket;
  seqs: number[];
  registered: Promise<void>;
}

function connectMember(port: number, nick: string): Member {
  const socket = net.connect(port, '127.0.0.1');
  const member: Member = { socket, seqs: [], registered: Promise.resolve() };
  member.registered = new Promise((resolve, reject) => {
    const lines = new LineSplitter(1 << 20, (line) => {
      // A loaded server may show the text banner before it reads the hello (docs/protocol.md, Plain TCP).
      if (line[0] !== 0x7b) return;
      const m = JSON.parse(line.toString()) as { type: string; room?: string; seq?: number };
      if (m.type === 'who' && m.room === '#lobby') resolve();
      if (m.type === 'message' && m.room === '#lobby') member.seqs.push(m.seq!);
    }, () => reject(new Error('line too long')));
    socket.on('data', (chunk: Buffer) => lines.push(chunk));
    socket.on('error', reject);
  });
  socket.write(`${JSON.stringify({ type: 'hello', nick })}\n`);
  return member;
}

let server: RunningServer;
beforeAll(async () => { server = await startServer({ args: ['--rate-limit', '0'] }); });
afterAll(async () => { await server.stop(); removeDir(server.dataDir); });

describe('a broadcast wider than one release slice', () => {
  it('reaches every member once, in seq order, while more messages arrive', async () => {
    const members: Member[] = [];
    for (let i = 0; i < MEMBERS; i += 100) {
      const batch = Array.from({ length: Math.min(100, MEMBERS - i) }, (_, k) => connectMember(server.tcpPort, `w${i + k}`));
      await Promise.all(batch.map((m) => m.registered));
      members.push(...batch);
    }
    for (let n = 0; n < PER_SENDER; n++) {
      for (let s = 0; s < SENDERS; s++) members[s]!.socket.write(`${JSON.stringify({ type: 'say', room: '#lobby', text: `m${s}-${n}` })}\n`);
    }
    const total = SENDERS * PER_SENDER;
    const deadline = Date.now() + 20_000;
    while (members.some((m) => m.seqs.length < total) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

    const first = members[0]!.seqs;
    expect(first).toHaveLength(total);
    expect([...first].sort((a, b) => a - b)).toEqual(first);
    expect(new Set(first).size).toBe(total);
    const differing = members.filter((m) => m.seqs.join() !== first.join()).length;
    expect(differing).toBe(0);
    for (const m of members) m.socket.destroy();
  }, 60_000);
});
