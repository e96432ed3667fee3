/**
 * Text means the same live and from history (attack report row 19, B7): a lone surrogate, which JSON can
 * carry but UTF-8 and SQLite cannot, is refused with TEXT_INVALID instead of coming back from history as
 * U+FFFD; astral text reads back exactly as it was delivered, from the in-memory window and, after a
 * restart, from SQLite. A real server process, because the second half needs a restart on the same data.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ChatMessage, ServerMessage } from '../../shared/protocol.js';
import { JsonClient } from '../helpers/clients.js';
import { makeTempDir, removeDir, startServer, type RunningServer } from '../helpers/server.js';

// Emoji, a ZWJ family, a skin-toned ZWJ sequence, a flag, a musical symbol and the last code point.
const ASTRAL = '😀 👨\u200d👩\u200d👧 🧑🏽\u200d💻 🇫🇷 𝄞 \u{10ffff} end';
const UNPAIRED = 'text contains an unpaired surrogate (invalid Unicode)';

const dataDir = makeTempDir();
let server: RunningServer | undefined;
const clients: JsonClient[] = [];

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.stop();
  removeDir(dataDir);
});

async function user(kind: 'ws' | 'tcp', nick: string): Promise<JsonClient> {
  const c = await JsonClient.registered(kind, kind === 'ws' ? server!.wsUrl : server!.tcpPort, nick);
  clients.push(c);
  return c;
}

async function historyOf(c: JsonClient, room: string): Promise<ChatMessage[]> {
  c.send({ type: 'history', room });
  const page = await c.next((m) => m.type === 'history' && m.room === room);
  return (page as Extract<ServerMessage, { type: 'history' }>).messages;
}

const utf8 = (s: string) => Buffer.from(s, 'utf8');

describe('Unicode text, live and from history', () => {
  it('refuses lone surrogates, keeps the connection, and astral text reads back byte-identical', async () => {
    server = await startServer({ dataDir });
    const alice = await user('ws', 'alice');
    const bob = await user('tcp', 'bob');
    for (const c of [alice, bob]) {
      c.send({ type: 'join', room: '#astral' });
      await c.next((m) => m.type === 'history' && m.room === '#astral');
      await c.next((m) => m.type === 'who' && m.room === '#astral');
    }

    alice.send({ type: 'say', room: '#astral', text: '\ud800', ref: 'lone' });
    expect(await alice.error('TEXT_INVALID')).toMatchObject({ ref: 'lone', message: UNPAIRED });
    alice.send({ type: 'dm', to: 'bob', text: `half an emoji ${'😀'.slice(0, 1)}`, ref: 'half' });
    expect(await alice.error('TEXT_INVALID')).toMatchObject({ ref: 'half', message: UNPAIRED });
    alice.send({ type: 'topic', room: '#astral', topic: 'x\udc00', ref: 'topic' });
    expect(await alice.error('TEXT_INVALID')).toMatchObject({ ref: 'topic', message: 'topic contains an unpaired surrogate (invalid Unicode)' });

    // The connection keeps working, and bob's next message is the valid one: nothing refused reached him.
    alice.send({ type: 'ping', ref: 'still-here' });
    expect(await alice.next('pong')).toEqual({ type: 'pong', ref: 'still-here' });
    alice.send({ type: 'say', room: '#astral', text: ASTRAL, ref: 'ok' });
    const ack = await alice.next('ack');
    expect(ack).toMatchObject({ ref: 'ok' });
    const { type: _type, ...live } = (await bob.next('message')) as ChatMessage & { type: 'message' };
    expect(live).toMatchObject({ room: '#astral', from: 'alice', text: ASTRAL, seq: ack.type === 'ack' ? ack.seq : -1 });
    // Had the dm or the topic been taken, bob would have had it before this later message.
    expect(bob.received.filter((m) => m.type === 'dm' || m.type === 'topic')).toEqual([]);

    const fromWindow = (await historyOf(bob, '#astral')).find((m) => m.id === live.id)!;
    expect(fromWindow).toStrictEqual(live);
    expect(utf8(fromWindow.text).equals(utf8(live.text))).toBe(true);

    // After a restart nothing is in memory: the room's history comes from SQLite.
    for (const c of clients.splice(0)) c.close();
    expect(await server.stop()).toBe(0);
    server = await startServer({ dataDir });
    const carol = await user('ws', 'carol');
    const fromDisk = (await historyOf(carol, '#astral')).find((m) => m.id === live.id);
    expect(fromDisk).toStrictEqual(live);
    expect(utf8(fromDisk!.text).equals(utf8(live.text))).toBe(true);
  }, 30_000);
});
