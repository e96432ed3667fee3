/**
 * Accounts and moderation from the real terminal client, in tmux, against the real server: register,
 * own a room, kick and ban a WebSocket peer, and see it all on screen; the password never comes back
 * from the input history.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, ROOT, startServer, type RunningServer } from '../helpers/server.js';
import { connectPeer, type Peer } from './helpers.js';
import { Tmux } from './tmux.js';

const CLIENT = path.join(ROOT, 'dist/client/main.js');
const tmux = new Tmux(`chat-mod-${process.pid}`);
let server: RunningServer;
let spam: Peer;

beforeAll(async () => {
  server = await startServer({ args: ['--operators', 'boss'] });
  spam = await connectPeer(server.wsUrl, 'spam');
  await tmux.start('mod', `node ${CLIENT} ${server.wsUrl} --nick boss`, 110, 26);
});

afterAll(async () => {
  await tmux.kill();
  await spam?.close();
  await server?.stop('SIGKILL');
  if (server) removeDir(server.dataDir);
});

const inputRow = (screen: string) => screen.trimEnd().split('\n').at(-1) ?? '';

async function enter(line: string): Promise<void> {
  await tmux.type('mod', line);
  await tmux.keys('mod', 'Enter');
}

describe('accounts and moderation in the terminal client', () => {
  it('registers, owns a room, kicks and bans a spammer, and keeps the password out of the input history', async () => {
    await tmux.waitForScreen('mod', 'online', (s) => /● online/.test(s));
    await enter('/register sekrit-horse');
    await tmux.waitForScreen('mod', 'logged in', (s) => s.includes('logged in as boss'));
    await enter('/join #den');
    await tmux.waitForScreen('mod', 'in #den', (s) => /^\[#den\]/m.test(inputRow(s)));
    spam.send({ type: 'join', room: '#den' });
    spam.send({ type: 'say', room: '#den', text: 'buy cheap watches' });
    await tmux.waitForScreen('mod', 'the spam', (s) => s.includes('<spam> buy cheap watches'));

    await enter('/kick spam not here');
    await tmux.waitForScreen('mod', 'the kick', (s) => s.includes('spam left #den (kicked by boss: not here)'));
    spam.send({ type: 'join', room: '#den' });
    await tmux.waitForScreen('mod', 'spam back', (s) => /spam joined/.test(s.split('kicked by boss')[1] ?? ''));
    await enter('/ban spam 1h ads');
    await tmux.waitForScreen('mod', 'the ban shown to the room', (s) => s.includes('boss: ban spam (ads)') && s.includes('(banned: ads)'));
    spam.send({ type: 'join', room: '#den', ref: 'again' });
    await expect.poll(() => spam.received.find((m) => m.type === 'error' && m.ref === 'again')).toMatchObject({ code: 'BANNED' });

    // Up walks back through /ban, /kick, /join: never the /register line with its password.
    for (let i = 0; i < 4; i++) await tmux.keys('mod', 'Up');
    const screen = await tmux.waitForScreen('mod', 'the oldest remembered line', (s) => inputRow(s).includes('/join #den'));
    expect(screen).not.toContain('sekrit-horse');
  });
});
