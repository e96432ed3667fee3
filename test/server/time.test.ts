/**
 * Attack report rows 23-24: rates and timeouts run on a monotonic clock, and a server that was stopped
 * does not punish its clients for what they sent meanwhile.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonClient, TextClient } from '../helpers/clients.js';
import { ROOT, removeDir, startServer, type RunningServer } from '../helpers/server.js';

const servers: RunningServer[] = [];
afterAll(async () => { for (const s of servers) { await s.stop('SIGKILL'); removeDir(s.dataDir); } });

describe('a wall-clock step (row 24)', () => {
  it('stepping the clock back an hour refuses and drops nobody, idle or busy', async () => {
    const s = await startServer({ nodeArgs: ['--import', path.join(ROOT, 'test/fixtures/clock-step.mjs')] });
    servers.push(s);
    const ws = await JsonClient.registered('ws', s.wsUrl, 'idleWs');
    const tcp = await JsonClient.registered('tcp', s.tcpPort, 'busyTcp');
    const text = await TextClient.connect(s.tcpPort);
    text.write('idleText\r\n');
    await text.waitFor(/#lobby \(\d+\)/);
    for (let i = 0; i < 10; i++) tcp.send({ type: 'ping', ref: `before${i}` });
    await tcp.next((m) => m.type === 'pong' && m.ref === 'before9');

    s.proc.kill('SIGUSR2');
    await expect.poll(() => s.output()).toContain('clock stepped to -3600000 ms');

    ws.send({ type: 'ping', ref: 'after' });
    expect(await ws.next((m) => m.type === 'pong' || m.type === 'error')).toEqual({ type: 'pong', ref: 'after' });
    for (let i = 0; i < 10; i++) tcp.send({ type: 'say', room: '#lobby', text: `after ${i}`, ref: `a${i}` });
    for (let i = 0; i < 10; i++) expect(await tcp.next((m) => m.type === 'ack' || m.type === 'error')).toMatchObject({ type: 'ack', ref: `a${i}` });
    text.write('/who\r\n');
    await text.waitFor(/\*\*\* #lobby \(3\): /);
    expect(text.text).not.toMatch(/RATE_LIMITED|bye/);
    for (const c of [ws, tcp, text]) c.close();
  });
});

describe('a stopped server (row 23)', () => {
  it('after SIGSTOP and SIGCONT, what a client sent at its ordinary rate meanwhile is answered, not refused', async () => {
    const s = await startServer({ args: ['--rate-limit', '5', '--rate-burst', '5'] });
    servers.push(s);
    const client = await JsonClient.registered('tcp', s.tcpPort, 'steady');
    const bystander = await JsonClient.registered('ws', s.wsUrl, 'quiet');
    // 4 a second, under the rate of 5, for 7 s; the server is frozen for 5 of them.
    let sent = 0;
    const sending = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        client.send({ type: 'ping', ref: `p${sent++}` });
        if (sent === 28) { clearInterval(timer); resolve(); }
      }, 250);
    });
    await client.next((m) => m.type === 'pong' && m.ref === 'p3');
    s.proc.kill('SIGSTOP');
    await new Promise<void>((resolve) => {
      const started = performance.now();
      const timer = setInterval(() => { if (performance.now() - started >= 5000) { clearInterval(timer); resolve(); } }, 100);
    });
    s.proc.kill('SIGCONT');
    await sending;
    await client.next((m) => m.type === 'bye' || (m.type === 'pong' && m.ref === 'p27'), 15_000).catch(() => undefined);
    const answers = client.received.filter((m) => m.type === 'pong' || m.type === 'error' || m.type === 'bye')
      .map((m) => (m.type === 'pong' ? m.ref : m.type === 'error' ? m.code : m.type));
    expect(answers).toEqual(Array.from({ length: 28 }, (_, i) => `p${i}`));
    bystander.send({ type: 'ping', ref: 'fine' });
    expect(await bystander.next('pong')).toEqual({ type: 'pong', ref: 'fine' });
    client.close();
    bystander.close();
  }, 40_000);
});
