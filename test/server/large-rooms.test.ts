/**
 * Rooms above --announce-limit: single joins and parts go only to the one who joined or left, and the
 * joiner's member list is a preview with the exact count, while an explicit `who` lists everyone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WHO_PREVIEW } from '../../shared/limits.js';
import { JsonClient, TextClient } from '../helpers/clients.js';
import { removeDir, startServer, type RunningServer } from '../helpers/server.js';

const LIMIT = 3;
let server: RunningServer;
beforeAll(async () => { server = await startServer({ args: ['--announce-limit', String(LIMIT)] }); });
afterAll(async () => { await server.stop(); removeDir(server.dataDir); });

describe.each(['ws', 'tcp'] as const)('a room above the announce limit over %s', (kind) => {
  const target = () => (kind === 'ws' ? server.wsUrl : server.tcpPort);
  const room = `#big-${kind}`;

  async function join(nick: string): Promise<{ client: JsonClient; who: ServerWho }> {
    const client = await JsonClient.registered(kind, target(), `${nick}${kind}`);
    client.send({ type: 'join', room });
    await client.next((m) => m.type === 'joined' && m.room === room && m.nick === `${nick}${kind}`);
    const who = (await client.next((m) => m.type === 'who' && m.room === room)) as ServerWho;
    return { client, who };
  }

  it('announces joins up to the limit, then tells only the joiner, with a member preview', async () => {
    const first = await join('m1');
    expect(first.who).toMatchObject({ users: ['m1' + kind], total: 1 });
    const members = [first];
    for (let i = 2; i <= LIMIT; i++) members.push(await join(`m${i}`));
    // Up to the limit every member hears every join and gets the whole list.
    expect(await first.client.next((m) => m.type === 'joined' && m.room === room && m.nick === `m${LIMIT}${kind}`)).toMatchObject({ room });
    expect(members[LIMIT - 1]!.who).toMatchObject({ total: LIMIT });
    expect((members[LIMIT - 1]!.who).users).toHaveLength(LIMIT);

    const over = await join('m4');
    expect(over.who.total).toBe(LIMIT + 1);
    expect(over.who.users).toEqual(['m1', 'm2', 'm3'].slice(0, Math.min(WHO_PREVIEW, LIMIT)).map((n) => n + kind));
    for (const m of members) expect(await m.client.none((x) => x.type === 'joined' && x.room === room && x.nick === `m4${kind}`)).toBe(true);

    // An explicit who is exact, in the room's own spelling.
    over.client.send({ type: 'who', room: room.toUpperCase() });
    const who = (await over.client.next((m) => m.type === 'who' && m.room === room)) as ServerWho;
    expect(who.total).toBe(LIMIT + 1);
    expect([...who.users].sort()).toEqual(['m1', 'm2', 'm3', 'm4'].map((n) => n + kind));

    // A part while above the limit reaches only the leaver; at the limit, parts are announced again.
    over.client.send({ type: 'part', room });
    expect(await over.client.next((m) => m.type === 'left' && m.room === room)).toMatchObject({ nick: `m4${kind}` });
    expect(await first.client.none((x) => x.type === 'left' && x.room === room && x.nick === `m4${kind}`)).toBe(true);
    members[LIMIT - 1]!.client.send({ type: 'part', room });
    expect(await first.client.next((m) => m.type === 'left' && m.room === room)).toMatchObject({ nick: `m${LIMIT}${kind}` });

    for (const m of [...members, over]) m.client.close();
  });
});

describe('the member preview in text mode', () => {
  it('shows the exact count and marks the list as partial', async () => {
    const room = '#big-text';
    const clients: JsonClient[] = [];
    for (let i = 1; i <= LIMIT; i++) {
      const c = await JsonClient.registered('ws', server.wsUrl, `t${i}`);
      c.send({ type: 'join', room });
      await c.next((m) => m.type === 'who' && m.room === room);
      clients.push(c);
    }
    const text = await TextClient.connect(server.tcpPort);
    text.write('textuser\r\n');
    await text.waitFor(/\*\*\* #lobby \(\d+\): /);
    text.write(`/join ${room}\r\n`);
    // TextClient decodes as latin1, so the ellipsis arrives as its three UTF-8 bytes.
    const ellipsis = Buffer.from(' …').toString('latin1');
    await text.waitFor(new RegExp(`\\*\\*\\* ${room} \\(${LIMIT + 1}\\): t1 t2 t3${ellipsis}\r\n`));
    text.close();
    for (const c of clients) c.close();
  });
});

type ServerWho = { type: 'who'; room: string; users: string[]; total: number };
