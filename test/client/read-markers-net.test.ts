/**
 * The terminal client's network side of read markers, against the real server: two clients logged in
 * to one account, wired as main.ts wires them (syncReads). Reading a room on one lowers its unread count
 * on the other; a guest's client says nothing of what it read.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseServerAddress } from '../../client/net/address.js';
import { ChatClient } from '../../client/net/chat-client.js';
import { ReadSync } from '../../client/net/read-sync.js';
import { Store } from '../../client/state/store.js';
import { feedStore, runEffects, syncReads } from '../../client/wiring.js';
import { removeDir, startServer, type RunningServer } from '../helpers/server.js';
import { connectPeer, waitFor, type Peer } from './helpers.js';

const PASSWORD = 'correct horse';
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Terminal {
  chat: ChatClient;
  store: Store;
  type(text: string): void;
  select(id: string): void;
}

function terminal(server: RunningServer, nick: string, password?: string): Terminal {
  const address = parseServerAddress(server.wsUrl);
  if (typeof address === 'string') throw new Error(address);
  const chat = new ChatClient({ address, nick, backoff: { baseMs: 100, maxMs: 400 }, ...(password ? { password } : {}) });
  const store = new Store(chat.server, nick);
  syncReads(chat, store, new ReadSync((room, seq) => chat.sendIfOnline({ type: 'read', room, seq })));
  feedStore(chat, store);
  cleanups.push(() => chat.stop());
  chat.start();
  return {
    chat, store,
    type: (text) => runEffects(store.dispatch({ type: 'input', text, now: Date.now() }), chat, () => undefined),
    select: (id) => {
      const index = store.state.views.findIndex((v) => v.id === id);
      runEffects(store.dispatch({ type: 'selectView', index }), chat, () => undefined);
    },
  };
}

const unread = (t: Terminal, id: string) => t.store.state.views.find((v) => v.id === id)?.unread;

async function peer(server: RunningServer, nick: string): Promise<Peer> {
  const p = await connectPeer(server.wsUrl, nick);
  cleanups.push(() => p.close());
  return p;
}

describe('read markers between two terminal clients of one account', () => {
  it('reading a room on one drops its unread count on the other; a guest tells nothing', async () => {
    const server = await startServer({ args: ['--rate-limit', '0'] });
    cleanups.push(async () => {
      await server.stop('SIGKILL');
      removeDir(server.dataDir);
    });
    const owner = await peer(server, 'ann');
    owner.send({ type: 'register', password: PASSWORD, ref: 'r' });
    await waitFor('ann registered', () => owner.received.some((m) => m.type === 'account' && m.account === 'ann'));
    await owner.close();

    const one = terminal(server, 'ann', PASSWORD);
    await waitFor('one online', () => one.store.state.account === 'ann' && one.store.state.current === '#lobby');
    const two = terminal(server, 'ann', PASSWORD);
    await waitFor('two online', () => two.store.state.account === 'ann' && two.store.state.views.some((v) => v.id === '#lobby' && v.synced));
    one.type('/join #news');
    await waitFor('both in #news', () => [one, two].every((t) => t.store.state.views.some((v) => v.id === '#news' && v.synced)));
    one.select('#lobby');
    expect(two.store.state.current).toBe('#lobby');

    let pal = await peer(server, 'pal');
    pal.send({ type: 'join', room: '#news' });
    for (const text of ['one', 'two', 'three']) pal.send({ type: 'say', room: '#news', text });
    await waitFor('three unread on both', () => unread(one, '#news') === 3 && unread(two, '#news') === 3);

    one.select('#news');
    await waitFor('none unread on two', () => unread(two, '#news') === 0, 5000);
    expect(two.store.state.current).toBe('#lobby');

    // After a server restart the clients join their rooms again before saying where they are: no
    // NOT_IN_ROOM for a read sent too early, and the marker kept in the file still holds.
    await server.stop('SIGTERM');
    const again = await startServer({ args: ['--rate-limit', '0'], dataDir: server.dataDir, wsPort: server.wsPort });
    cleanups.push(() => again.stop('SIGKILL'));
    await waitFor('both back in #news', () => [one, two].every((t) => t.chat.connectionState === 'online' && t.store.state.inRooms.includes('#news')), 15_000);
    for (const t of [one, two]) t.type('/who #news');
    await waitFor('the who answers', () => [one, two].every((t) => t.store.state.views.some((v) => v.lines.some((l) => l.kind === 'info' && l.text.startsWith('#news:')))));
    for (const t of [one, two]) expect(t.store.state.views.flatMap((v) => v.lines).filter((l) => l.kind === 'error').map((l) => l.text)).toEqual([]);
    expect(unread(two, '#news')).toBe(0);

    // A guest's client keeps its read positions to itself: the server would refuse them.
    pal = await peer(again, 'pal');
    pal.send({ type: 'join', room: '#news' });
    const guest = terminal(again, 'gus');
    await waitFor('gus online', () => guest.store.state.current === '#lobby');
    guest.type('/join #news');
    await waitFor('gus in #news', () => guest.store.state.current === '#news' && guest.store.state.views.find((v) => v.id === '#news')!.synced);
    pal.send({ type: 'say', room: '#news', text: 'four' });
    await waitFor('gus sees it', () => guest.store.state.views.find((v) => v.id === '#news')!.lines.some((l) => l.kind === 'chat' && l.text === 'four'));
    guest.type('/who #news');
    await waitFor('an answer after', () => guest.store.state.views.some((v) => v.lines.some((l) => l.kind === 'info' && l.text.startsWith('#news:'))));
    expect(guest.store.state.views.flatMap((v) => v.lines).filter((l) => l.kind === 'error')).toEqual([]);
  });
});
