/** /search in the real client, in tmux, against the real server: matches with their day, and paging with /search alone. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, ROOT, startServer, type RunningServer } from '../helpers/server.js';
import { connectPeer, waitFor, type Peer } from './helpers.js';
import { Tmux } from './tmux.js';

const CLIENT = path.join(ROOT, 'dist/client/main.js');
const tmux = new Tmux(`chat-search-${process.pid}`);
let server: RunningServer;
let peer: Peer;

beforeAll(async () => {
  server = await startServer({ args: ['--rate-limit', '0'] });
  peer = await connectPeer(server.wsUrl, 'pal');
  for (let i = 1; i <= 55; i++) peer.send({ type: 'say', room: '#lobby', text: `needle ${i}`, ref: `n${i}` });
  peer.send({ type: 'say', room: '#lobby', text: 'Crème Brûlée for dessert', ref: 'last' });
  await waitFor('the last ack', () => peer.received.some((m) => m.type === 'ack' && m.ref === 'last'));
  await tmux.start('find', `node ${CLIENT} ${server.wsUrl} --nick finder`, 100, 24);
});

afterAll(async () => {
  await tmux.kill();
  await peer?.close();
  await server?.stop('SIGKILL');
  if (server) removeDir(server.dataDir);
});

async function enter(line: string): Promise<void> {
  await tmux.type('find', line);
  await tmux.keys('find', 'Enter');
}

const DAY = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d`;

describe('/search in the terminal client', () => {
  it('shows the matches with day, room and nick, and /search alone pages to older ones', async () => {
    await tmux.waitForScreen('find', 'online', (s) => /● online/.test(s) && /^\[#lobby\]/m.test(s));
    await enter('/search creme brulee');
    const found = await tmux.waitForScreen('find', 'the dessert found', (s) => s.includes('1 message in #lobby matches "creme brulee":'));
    expect(found).toMatch(new RegExp(`${DAY} #lobby <pal> Crème Brûlée for dessert`));
    expect(found).toContain('-!- no older matches');

    await enter('/search NEEDLE');
    const first = await tmux.waitForScreen('find', 'the first page', (s) => s.includes('-!- older matches: type /search'));
    expect(first).toMatch(new RegExp(`${DAY} #lobby <pal> needle 55 [^\\n]*\\n[^\\n]*-!- older matches`));
    await enter('/search');
    const older = await tmux.waitForScreen('find', 'the older page', (s) => s.includes('5 messages in #lobby match "NEEDLE":') && s.includes('no older matches'));
    expect(older).toMatch(new RegExp(`${DAY} #lobby <pal> needle 1 `));
    expect(older).toMatch(new RegExp(`${DAY} #lobby <pal> needle 5 [^\\n]*\\n[^\\n]*-!- no older matches`));
    await enter('/search');
    await tmux.waitForScreen('find', 'nothing older', (s) => s.includes('no older messages in #lobby match "NEEDLE"'));
  });
});
