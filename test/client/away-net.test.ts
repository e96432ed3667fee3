/**
 * The terminal client's network side of away, against the real server: /away typed in the client
 * reaches others, and a reconnect (a new session, which starts back) says it again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ChatClient } from '../../client/net/chat-client.js';
import { parseServerAddress } from '../../client/net/address.js';
import { Store } from '../../client/state/store.js';
import { feedStore, runEffects } from '../../client/wiring.js';
import { removeDir, startServer, type RunningServer } from '../helpers/server.js';
import { connectPeer, waitFor } from './helpers.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(opts: Parameters<typeof startServer>[0] = {}): Promise<RunningServer> {
  const s = await startServer({ args: ['--rate-limit', '0'], ...opts });
  cleanups.push(async () => {
    await s.stop('SIGKILL');
    removeDir(s.dataDir);
  });
  return s;
}

describe('away in the terminal client', () => {
  it('/away reaches others; after a reconnect the client is away again; /back ends it', async () => {
    const first = await server();
    const address = parseServerAddress(first.wsUrl);
    if (typeof address === 'string') throw new Error(address);
    const chat = new ChatClient({ address, nick: 'alice', backoff: { baseMs: 100, maxMs: 400 }, pingIntervalMs: 500 });
    const store = new Store(chat.server, 'alice');
    feedStore(chat, store);
    cleanups.push(() => chat.stop());
    chat.start();
    const type = (text: string) => runEffects(store.dispatch({ type: 'input', text, now: Date.now() }), chat, () => undefined);
    const bob = await connectPeer(first.wsUrl, 'bob');
    cleanups.push(() => bob.close());
    await waitFor('alice online', () => chat.connectionState === 'online' && store.state.views.some((v) => v.id === '#lobby'));

    type('/away making tea');
    await waitFor('bob told', () => bob.received.some((m) => m.type === 'away' && m.nick === 'alice' && m.reason === 'making tea'));
    await waitFor('alice marked', () => store.state.away.alice === 'making tea');

    await first.stop('SIGKILL');
    await waitFor('alice notices', () => chat.connectionState !== 'online');
    const again = await server({ dataDir: first.dataDir, wsPort: first.wsPort });
    await waitFor('alice back online', () => chat.connectionState === 'online', 15_000);
    const carol = await connectPeer(again.wsUrl, 'carol');
    cleanups.push(() => carol.close());
    await waitFor('alice away again, seen by a newcomer', () => {
      carol.send({ type: 'whois', nick: 'alice', ref: `w${Date.now()}` });
      return carol.received.some((m) => m.type === 'whois' && m.away === 'making tea');
    });
    expect(store.state.away.alice).toBe('making tea');

    type('/back');
    await waitFor('carol told', () => carol.received.some((m) => m.type === 'away' && m.nick === 'alice' && m.reason === undefined));
    await waitFor('alice no longer marked', () => !('alice' in store.state.away));
  });
});
