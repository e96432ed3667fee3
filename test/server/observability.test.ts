/** GET /healthz and GET /metrics on the admin listener, against the real built server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonClient } from '../helpers/clients.js';
import { removeDir, startServer, type RunningServer } from '../helpers/server.js';

let server: RunningServer;
// A low, known flood limit so that RATE_LIMITED can be provoked with a handful of messages.
beforeAll(async () => { server = await startServer({ args: ['--rate-limit', '1', '--rate-burst', '3'] }); });
afterAll(async () => { await server.stop(); removeDir(server.dataDir); });

const url = (p: string) => `http://127.0.0.1:${server.adminPort}${p}`;

async function health(): Promise<Record<string, unknown>> {
  const res = await fetch(url('/healthz'));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/json');
  return (await res.json()) as Record<string, unknown>;
}

/** The counts of a healthy server's /healthz, checking the rest of the body says all is well. */
async function counts(): Promise<{ connections: unknown; rooms: unknown }> {
  const { status, problems, connections, rooms, store, ...rest } = await health();
  expect({ status, problems, rest }).toEqual({ status: 'ok', problems: [], rest: {} });
  expect(store).toMatchObject({ writer: 'up', writerRestarts: 0, database: 'present', lastError: null });
  return { connections, rooms };
}

/** Every sample line of the exposition, keyed by name with its labels, e.g. `chat_errors_total{code="X"}`. */
async function metrics(): Promise<Map<string, number>> {
  const res = await fetch(url('/metrics'));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    samples.set(m[1]!, Number(m[2]));
  }
  return samples;
}

function value(samples: Map<string, number>, key: string): number {
  const v = samples.get(key);
  if (v === undefined) throw new Error(`metric ${key} missing`);
  return v;
}

/** Polls at 10/s: the admin listener allows an address 20 requests a second. */
async function until(check: () => Promise<boolean>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('GET /healthz', () => {
  it('answers 200 JSON with status ok and exact connection and room counts as clients come and go', async () => {
    expect(await counts()).toEqual({ connections: 0, rooms: 1 }); // #lobby always exists
    const a = await JsonClient.registered('ws', server.wsUrl, 'hA');
    const b = await JsonClient.registered('tcp', server.tcpPort, 'hB');
    expect(await counts()).toEqual({ connections: 2, rooms: 1 });
    a.send({ type: 'join', room: '#obs' });
    await a.next((m) => m.type === 'who' && m.room === '#obs');
    expect(await counts()).toEqual({ connections: 2, rooms: 2 });
    a.close();
    b.close();
    // The emptied #obs is forgotten; #lobby always exists.
    await until(async () => (await health()).connections === 0);
    expect(await counts()).toEqual({ connections: 0, rooms: 1 });
  });

  it('reports the last commit: none before the first message, then ok with its age', async () => {
    const first = (await health()).store as { lastCommit: unknown };
    const c = await JsonClient.registered('ws', server.wsUrl, 'hC');
    c.send({ type: 'say', room: '#lobby', text: 'commit me', ref: 'c1' });
    await c.next('ack');
    const after = (await health()).store as { lastCommit: { ok: boolean; ageSeconds: number } };
    expect(after.lastCommit.ok).toBe(true);
    expect(after.lastCommit.ageSeconds).toBeGreaterThanOrEqual(0);
    // Tests in this file share one server, so an earlier one may already have committed.
    if (first.lastCommit !== null) expect(first.lastCommit).toMatchObject({ ok: true });
    c.close();
    await until(async () => (await health()).connections === 0);
  });

  it('ignores a query string', async () => {
    const res = await fetch(url('/healthz?probe=1'));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('ok');
  });
});

describe('GET /metrics', () => {
  it('exposes every chat metric, the history histograms and event-loop lag', async () => {
    const s = await metrics();
    for (const name of [
      'chat_connections', 'chat_rooms', 'chat_messages_in_total', 'chat_messages_out_total', 'chat_deliveries_total',
      'chat_slow_consumers_dropped_total', 'chat_rate_limited_total', 'chat_history_writable', 'chat_history_commit_failures_total',
      'chat_history_batch_size_count', 'chat_history_batch_size_sum', 'chat_history_batch_size_bucket{le="+Inf"}',
      'chat_history_commit_seconds_count', 'chat_history_commit_seconds_sum', 'chat_history_commit_seconds_bucket{le="+Inf"}',
      'nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(Number.isFinite(value(s, name)), name).toBe(true);
    }
    expect(value(s, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(value(s, 'chat_connections')).toBe(0);
    expect(value(s, 'chat_slow_consumers_dropped_total')).toBe(0);
    expect(value(s, 'chat_history_writable')).toBe(1);
    expect(value(s, 'chat_history_commit_failures_total')).toBe(0);
  });

  it('counts move by exact amounts after a say: in, out, deliveries, one history commit', async () => {
    const a = await JsonClient.registered('ws', server.wsUrl, 'mA');
    const b = await JsonClient.registered('tcp', server.tcpPort, 'mB');
    const before = await metrics();
    expect(value(before, 'chat_connections')).toBe(2);
    expect(value(before, 'chat_rooms')).toBe(1);

    a.send({ type: 'say', room: '#lobby', text: 'counted', ref: 'm1' });
    await a.next('ack');
    await a.next('message');
    await b.next('message');
    const after = await metrics();
    const delta = (k: string) => value(after, k) - value(before, k);
    expect(delta('chat_messages_in_total')).toBe(1);
    // One broadcast serialized once, plus the ack.
    expect(delta('chat_messages_out_total')).toBe(2);
    // The message to both members, and the ack to the sender.
    expect(delta('chat_deliveries_total')).toBe(3);
    expect(delta('chat_history_batch_size_count')).toBe(1);
    expect(delta('chat_history_batch_size_sum')).toBe(1);
    expect(delta('chat_history_batch_size_bucket{le="1"}')).toBe(1);
    expect(delta('chat_history_commit_seconds_count')).toBe(1);
    expect(delta('chat_history_commit_seconds_sum')).toBeGreaterThan(0);
    expect(delta('chat_rate_limited_total')).toBe(0);
    a.close();
    b.close();
    await until(async () => value(await metrics(), 'chat_connections') === 0);
  });

  it('flood control shows in chat_rate_limited_total and chat_errors_total, one per refusal', async () => {
    const c = await JsonClient.registered('ws', server.wsUrl, 'flooder');
    const before = await metrics();
    for (let i = 0; i < 12; i++) c.send({ type: 'say', room: '#lobby', text: `spam ${i}` });
    // Every say is answered: a message or a RATE_LIMITED error.
    let delivered = 0;
    let refused = 0;
    while (delivered + refused < 12) {
      const m = await c.next((x) => x.type === 'message' || x.type === 'error');
      if (m.type === 'message') delivered++;
      else if (m.type === 'error' && m.code === 'RATE_LIMITED') refused++;
      else throw new Error(`unexpected ${JSON.stringify(m)}`);
    }
    // A burst of 3 (hello spent one token) and 3 more waiting for the budget: the rest is refused.
    expect(refused).toBeGreaterThanOrEqual(1);
    const after = await metrics();
    const delta = (k: string) => value(after, k) - (before.get(k) ?? 0);
    expect(delta('chat_rate_limited_total')).toBe(refused);
    expect(delta('chat_errors_total{code="RATE_LIMITED"}')).toBe(refused);
    expect(delta('chat_messages_in_total')).toBe(12);
    expect(delta('chat_history_batch_size_sum')).toBe(delivered);
    c.close();
  });
});

describe('other paths', () => {
  it('an unknown path, and a non-GET on a known one, answer 404 with a hint', async () => {
    for (const [method, p] of [['GET', '/nope'], ['GET', '/metrics/extra'], ['POST', '/metrics'], ['DELETE', '/healthz']] as const) {
      const res = await fetch(url(p), { method });
      expect(res.status, `${method} ${p}`).toBe(404);
      expect(await res.text()).toBe('not found: try GET /healthz or /metrics\n');
    }
  });

  it('the chat port serves neither /healthz nor /metrics: 404 there, only WebSocket upgrades', async () => {
    for (const p of ['/healthz', '/metrics', '/']) {
      const res = await fetch(`http://127.0.0.1:${server.wsPort}${p}`);
      expect(res.status, p).toBe(404);
      expect(await res.text()).toBe('not found: try a WebSocket upgrade on /\n');
    }
  });
});
