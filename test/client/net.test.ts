import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ChatClient, type ChatClientOptions, type NetEvent } from '../../client/net/chat-client.js';
import { parseServerAddress, type ServerAddress } from '../../client/net/address.js';
import { Store } from '../../client/state/store.js';
import type { ChatLine } from '../../client/state/types.js';
import { feedStore, runEffects } from '../../client/wiring.js';
import { removeDir, startServer, type RunningServer } from '../helpers/server.js';
import { connectPeer, waitFor, type Peer } from './helpers.js';

const FAST = ['--rate-limit', '0'];
const cleanups: (() => Promise<unknown> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(opts: Parameters<typeof startServer>[0] = {}): Promise<RunningServer> {
  const s = await startServer({ args: FAST, ...opts });
  cleanups.push(async () => {
    await s.stop('SIGKILL');
    removeDir(s.dataDir);
  });
  return s;
}

function address(text: string): ServerAddress {
  const a = parseServerAddress(text);
  if (typeof a === 'string') throw new Error(a);
  return a;
}

function client(url: string, nick: string, backoffMs = 100, extra: Partial<ChatClientOptions> = {}): { chat: ChatClient; store: Store; events: NetEvent[] } {
  const chat = new ChatClient({ address: address(url), nick, backoff: { baseMs: backoffMs, maxMs: backoffMs * 4 }, pingIntervalMs: 500, ...extra });
  const store = new Store(chat.server, nick);
  const events: NetEvent[] = [];
  chat.onEvent((e) => events.push(e));
  feedStore(chat, store);
  cleanups.push(() => chat.stop());
  chat.start();
  return { chat, store, events };
}

function peer(url: string, nick: string): Promise<Peer> {
  return connectPeer(url, nick).then((p) => {
    cleanups.push(() => p.close());
    return p;
  });
}

/** Types a line as the user would: through the store, whose effects go to the network. */
function typeLine(c: { chat: ChatClient; store: Store }, text: string): void {
  runEffects(c.store.dispatch({ type: 'input', text, now: Date.now() }), c.chat, () => undefined);
}

function lobby(store: Store) {
  return store.state.views.find((v) => v.id === '#lobby')!;
}

function lobbySeqs(store: Store): number[] {
  const lobby = store.state.views.find((v) => v.id === '#lobby');
  return (lobby?.lines ?? []).filter((l): l is ChatLine => l.kind === 'chat').map((l) => l.seq!);
}

describe('ChatClient against the real server', () => {
  it('talks over ws:// and tcp:// and with a plain WebSocket client, and measures RTT', async () => {
    const s = await server();
    const viaWs = client(s.wsUrl, 'wsuser');
    const viaTcp = client(`tcp://127.0.0.1:${s.tcpPort}`, 'tcpuser');
    const plain = await peer(s.wsUrl, 'plain');
    await waitFor('both online', () => viaWs.chat.connectionState === 'online' && viaTcp.chat.connectionState === 'online');
    await waitFor('joined lobby', () => viaTcp.store.state.current === '#lobby' && viaWs.store.state.current === '#lobby');

    viaWs.chat.send({ type: 'say', room: '#lobby', text: 'from ws', ref: 'a1' });
    await waitFor('ack', () => viaWs.events.some((e) => e.type === 'message' && e.msg.type === 'ack' && e.msg.ref === 'a1'));
    plain.send({ type: 'say', room: '#lobby', text: 'from plain' });
    const texts = (store: Store) => store.state.views.find((v) => v.id === '#lobby')!.lines
      .flatMap((l) => (l.kind === 'chat' ? [l.text] : []));
    await waitFor('tcp user sees both', () => texts(viaTcp.store).join('|') === 'from ws|from plain');
    await waitFor('plain sees ws', () => plain.received.some((m) => m.type === 'message' && m.text === 'from ws'));
    await waitFor('rtt', () => viaTcp.store.state.rttMs !== undefined && viaWs.store.state.rttMs !== undefined);
  });

  it('asks for another nick when the nick is taken, then registers with the new one', async () => {
    const s = await server();
    await peer(s.wsUrl, 'taken');
    const c = client(s.wsUrl, 'taken');
    await waitFor('nick rejected', () => c.store.state.nickPrompt === 'taken');
    expect(c.chat.connectionState).toBe('registering');
    c.chat.register('other');
    await waitFor('online as other', () => c.chat.connectionState === 'online' && c.store.state.me === 'other');
  });

  it('survives SIGKILL and a restart on the same port: rejoins, sends what was queued, fills the gap by seq', async () => {
    const first = await server();
    const c = client(first.wsUrl, 'alice', 200);
    const writer = await peer(first.wsUrl, 'writer');
    writer.send({ type: 'join', room: '#side' });
    await waitFor('alice online', () => c.chat.connectionState === 'online');
    c.chat.send({ type: 'join', room: '#side' });
    for (let i = 1; i <= 5; i++) writer.send({ type: 'say', room: '#lobby', text: `before ${i}`, ref: `b${i}` });
    await waitFor('acks before', () => writer.received.filter((m) => m.type === 'ack').length === 5);
    await waitFor('alice sees 5', () => lobbySeqs(c.store).length === 5);
    await waitFor('alice in #side', () => c.store.state.views.some((v) => v.id === '#side'));

    await first.stop('SIGKILL');
    await waitFor('alice notices', () => c.chat.connectionState === 'reconnecting' || c.chat.connectionState === 'connecting');
    c.chat.send({ type: 'say', room: '#lobby', text: 'typed while offline', ref: 'q1' });
    expect(c.events.some((e) => e.type === 'sendState' && e.ref === 'q1' && e.status === 'queued')).toBe(true);

    // The gap: 260 messages alice never saw live (more than the join replay and one history page).
    const elsewhere = await startServer({ dataDir: first.dataDir, args: FAST });
    const w2 = await connectPeer(elsewhere.wsUrl, 'writer2');
    for (let i = 1; i <= 260; i++) w2.send({ type: 'say', room: '#lobby', text: `gap ${i}`, ref: `g${i}` });
    await waitFor('gap acked', () => w2.received.filter((m) => m.type === 'ack').length === 260, 15_000);
    await w2.close();
    expect(await elsewhere.stop('SIGTERM')).toBe(0);

    const again = await server({ dataDir: first.dataDir, wsPort: first.wsPort });
    await waitFor('alice back online', () => c.chat.connectionState === 'online', 15_000);
    const ack = await waitFor('queued message acked', () => c.events.find((e) => e.type === 'message' && e.msg.type === 'ack' && e.msg.ref === 'q1'));
    const queuedSeq = ack.type === 'message' && ack.msg.type === 'ack' ? ack.msg.seq : -1;
    expect(queuedSeq).toBe(5 + 260 + 1);
    await waitFor(() => `no gap: ${JSON.stringify(lobbySeqs(c.store).slice(0, 10))}… (${lobbySeqs(c.store).length})`,
      () => lobbySeqs(c.store).length === queuedSeq);
    expect(lobbySeqs(c.store)).toEqual(Array.from({ length: queuedSeq }, (_, i) => i + 1));
    expect(c.store.state.views.find((v) => v.id === '#lobby')!.pending).toEqual([]);

    // Rejoined #side too: a message there reaches alice.
    const w3 = await peer(again.wsUrl, 'writer3');
    w3.send({ type: 'join', room: '#side' });
    w3.send({ type: 'say', room: '#side', text: 'side after restart' });
    await waitFor('side message', () => c.store.state.views.find((v) => v.id === '#side')!.lines
      .some((l) => l.kind === 'chat' && l.text === 'side after restart'));
  });

  it('treats a server that stops answering pings as dead, and reconnects', async () => {
    // A real TCP peer that registers the client and then never answers anything again.
    let connections = 0;
    const silent = net.createServer((socket) => {
      connections++;
      socket.once('data', () => socket.write(`${JSON.stringify({ type: 'welcome', sid: 's', nick: 'x', server: 'silent', version: 1 })}\n`));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => { silent.close(() => resolve()); }));
    const port = (silent.address() as net.AddressInfo).port;
    const chat = new ChatClient({ address: address(`tcp://127.0.0.1:${port}`), nick: 'x', pingIntervalMs: 100, pongTimeoutMs: 300, backoff: { baseMs: 50, maxMs: 100 } });
    const states: string[] = [];
    chat.onEvent((e) => { if (e.type === 'status') states.push(`${e.status.state}${e.status.reason ? `: ${e.status.reason}` : ''}`); });
    const lags: number[] = [];
    chat.onEvent((e) => { if (e.type === 'lag') lags.push(e.ms); });
    cleanups.push(() => chat.stop());
    chat.start();
    await waitFor('a second connection', () => connections >= 2, 5000);
    expect(states).toContain('reconnecting: server stopped answering');
    // Before the cut, the wait for the pong was reported as it grew.
    expect(lags.length).toBeGreaterThan(0);
    expect(lags.every((ms) => ms >= 75)).toBe(true);
    expect(states.indexOf('online')).toBeLessThan(states.indexOf('reconnecting: server stopped answering'));
  });

  it('paces 40 lines typed at once under the limits the server announces: every one is stored, none refused, no flood', async () => {
    // A server stricter than the default: the client's default pace (10/s, bursts of 20) would overflow
    // it at once; it learns 5/s and bursts of 2 from welcome.
    const s = await server({ args: ['--rate-limit', '10', '--rate-burst', '4'] });
    const c = client(s.wsUrl, 'paster', 100);
    await waitFor('online in #lobby', () => c.store.state.current === '#lobby');
    for (let i = 1; i <= 40; i++) typeLine(c, `pasted line ${i}`);
    await waitFor(() => `all 40 acked (${lobbySeqs(c.store).length}, pending ${lobby(c.store).pending.length})`,
      () => lobbySeqs(c.store).length === 40 && lobby(c.store).pending.length === 0, 30_000);
    expect(c.events.filter((e) => e.type === 'message' && (e.msg.type === 'error' || e.msg.type === 'bye'))).toEqual([]);
    expect(c.chat.connectionState).toBe('online');
  }, 45_000);

  it('never leaves a line sending: refusals without a ref and unanswered lines end failed, the stored ones shown sent', async () => {
    const s = await server({ args: ['--rate-limit', '1', '--rate-burst', '2'] });
    // No pacing here, so the server has to refuse.
    const c = client(s.wsUrl, 'flooder', 100, { pace: { perSecond: 0, burst: 1 }, ackTimeoutMs: 3000, pingIntervalMs: 60_000 });
    await waitFor('online in #lobby', () => c.store.state.current === '#lobby');
    for (let i = 1; i <= 10; i++) typeLine(c, `burst ${i}`);
    const settled = () => {
      const view = lobby(c.store);
      const sent = view.lines.flatMap((l) => (l.kind === 'chat' && l.self ? [l.text] : []));
      const failed = view.pending.filter((p) => p.status === 'failed').map((p) => p.text);
      return sent.length + failed.length === 10 && view.pending.every((p) => p.status === 'failed') ? { sent, failed } : undefined;
    };
    await waitFor('no line left sending', settled, 15_000);
    // Guesses about which line was refused are put right by late acks and timeouts: in the end the lines
    // shown as sent are exactly the ones the server stored, and all the others are failed.
    const witness = await peer(s.wsUrl, 'witness');
    const pages = () => witness.received.filter((m) => m.type === 'history');
    await waitFor('the join replay', () => pages().length === 1);
    const deadline = Date.now() + 15_000;
    for (let round = 1; ; round++) {
      witness.send({ type: 'history', room: '#lobby' });
      const page = await waitFor('history', () => pages()[round]);
      const stored = page.type === 'history' ? page.messages.map((m) => m.text) : [];
      const now = settled();
      if (now && now.sent.join('|') === stored.join('|')) {
        expect(stored.length).toBeGreaterThan(0);
        expect(now.failed).toHaveLength(10 - stored.length);
        break;
      }
      if (Date.now() > deadline) throw new Error(`shown ${JSON.stringify(now)}, stored ${JSON.stringify(stored)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(lobby(c.store).pending.every((p) => p.reason)).toBe(true);
  });

  it('says an HTTP server answered when tcp:// points at the WebSocket port', async () => {
    const s = await server();
    const port = Number(new URL(s.wsUrl).port);
    const c = client(`tcp://127.0.0.1:${port}`, 'lost', 100);
    await waitFor('a failed attempt', () => c.events.find((e) => e.type === 'status' && e.status.state === 'reconnecting'));
    const failed = c.events.find((e) => e.type === 'status' && e.status.state === 'reconnecting');
    expect(failed?.type === 'status' && failed.status.reason).toMatch(/^an HTTP server answered \(HTTP\/1\.1 400.*\): for the WebSocket port use ws:\/\/$/);
  });
});
