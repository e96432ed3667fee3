/**
 * Read markers in the real client, in tmux, against the real server: two terminals logged in to one
 * account (each with its own home, as on two machines). Messages arrive in a room while both look at
 * another; reading it on one terminal takes its unread count to zero on the other.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { removeDir, ROOT, startServer, type RunningServer } from '../helpers/server.js';
import { connectPeer, waitFor, type Peer } from './helpers.js';
import { Tmux } from './tmux.js';

const CLIENT = path.join(ROOT, 'dist/client/main.js');
const PASSWORD = 'correct horse';
const desk = new Tmux(`chat-read-a-${process.pid}`);
const laptop = new Tmux(`chat-read-b-${process.pid}`);
let server: RunningServer;
let pal: Peer;

beforeAll(async () => {
  server = await startServer({ args: ['--rate-limit', '0'] });
  const owner = await connectPeer(server.wsUrl, 'ann');
  owner.send({ type: 'register', password: PASSWORD });
  await waitFor('ann registered', () => owner.received.some((m) => m.type === 'account' && m.account === 'ann'));
  await owner.close();
  pal = await connectPeer(server.wsUrl, 'pal');
});

afterAll(async () => {
  await desk.kill();
  await laptop.kill();
  await pal?.close();
  await server?.stop('SIGKILL');
  if (server) removeDir(server.dataDir);
});

const inputRow = (screen: string) => screen.trimEnd().split('\n').at(-1) ?? '';
const online = (s: string) => /● online/.test(s);

describe('read markers between two terminals of one account', () => {
  it('reading a room on one terminal takes its unread count to zero on the other', async () => {
    const command = `CHAT_PASSWORD='${PASSWORD}' node ${CLIENT} ${server.wsUrl} --nick ann`;
    await desk.start('desk', command);
    await desk.waitForScreen('desk', 'the desk online', (s) => online(s) && inputRow(s) === '[#lobby]');
    await laptop.start('laptop', command);
    await laptop.waitForScreen('laptop', 'the laptop online', (s) => online(s) && inputRow(s) === '[#lobby]');

    await desk.type('desk', '/join #news');
    await desk.keys('desk', 'Enter');
    await desk.waitForScreen('desk', '#news', (s) => inputRow(s) === '[#news]');
    await laptop.waitForScreen('laptop', '#news listed', (s) => /^3 #news/m.test(s));
    await desk.keys('desk', 'M-2');
    await desk.waitForScreen('desk', 'back in #lobby', (s) => inputRow(s) === '[#lobby]');

    pal.send({ type: 'join', room: '#news' });
    for (const text of ['first news', 'second news', 'third news']) pal.send({ type: 'say', room: '#news', text });
    for (const [tmux, session] of [[desk, 'desk'], [laptop, 'laptop']] as const) {
      await tmux.waitForScreen(session, 'three unread in #news', (s) => /^3 #news\s+3│/m.test(s));
    }

    await desk.keys('desk', 'M-3');
    await desk.waitForScreen('desk', '#news read', (s) => inputRow(s) === '[#news]' && s.includes('<pal> third news'));
    await laptop.waitForScreen('laptop', 'no unread in #news', (s) => /^3 #news\s+│/m.test(s) && inputRow(s) === '[#lobby]');
  });
});
