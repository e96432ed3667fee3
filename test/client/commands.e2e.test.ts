/** Command edge cases and scrolling keys in the real client, in tmux, against the real server. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, ROOT, startServer, type RunningServer } from '../helpers/server.js';
import { connectPeer, type Peer } from './helpers.js';
import { Tmux } from './tmux.js';

const CLIENT = path.join(ROOT, 'dist/client/main.js');
const tmux = new Tmux(`chat-cmd-${process.pid}`);
let server: RunningServer;
let peer: Peer;

beforeAll(async () => {
  server = await startServer({ args: ['--rate-limit', '0'] });
  peer = await connectPeer(server.wsUrl, 'pal');
  await tmux.start('cmd', `node ${CLIENT} ${server.wsUrl} --nick cmd`, 100, 24);
});

afterAll(async () => {
  await tmux.kill();
  await peer?.close();
  await server?.stop('SIGKILL');
  if (server) removeDir(server.dataDir);
});

const inputRow = (screen: string) => screen.trimEnd().split('\n').at(-1) ?? '';

async function enter(line: string): Promise<void> {
  await tmux.type('cmd', line);
  await tmux.keys('cmd', 'Enter');
}

describe('commands in the terminal client', () => {
  it('/part #room typed in a DM view leaves the room and keeps the DM; /close closes the DM', async () => {
    await tmux.waitForScreen('cmd', 'online', (s) => /● online/.test(s) && /^\[#lobby\]/m.test(s));
    await enter('/join #off');
    await tmux.waitForScreen('cmd', '#off', (s) => /^3 #off/m.test(s));
    await enter('/msg pal hello pal');
    await tmux.waitForScreen('cmd', 'the DM view', (s) => inputRow(s) === '[@pal]' && /^4 @pal/m.test(s));
    await enter('/part #off');
    const after = await tmux.waitForScreen('cmd', '#off gone, still in the DM', (s) => !/#off/.test(s.split('\n').slice(0, 8).join('\n')) && inputRow(s) === '[@pal]');
    expect(after).toMatch(/^3 @pal/m);
    expect(after).toContain('<cmd> hello pal');
    await enter('/close');
    await tmux.waitForScreen('cmd', 'the DM closed', (s) => !/@pal/.test(s) && /^\[#lobby\]/m.test(inputRow(s)));
  });

  it('shows command output when scrolled up, and Esc goes back to the newest line', async () => {
    for (let i = 1; i <= 120; i++) peer.send({ type: 'say', room: '#lobby', text: `filler ${i}` });
    await tmux.waitForScreen('cmd', 'the newest filler', (s) => s.includes('<pal> filler 120'));
    await tmux.keys('cmd', 'PageUp');
    await tmux.waitForScreen('cmd', 'scrolled up', (s) => /scrolled ↑\d+/.test(s));
    await enter('/history 500');
    await tmux.waitForScreen('cmd', 'the error at the bottom', (s) => s.includes('!! limit must be') && !s.includes('scrolled'));
    await tmux.keys('cmd', 'PageUp');
    await tmux.keys('cmd', 'PageUp');
    await tmux.waitForScreen('cmd', 'scrolled up again', (s) => /scrolled ↑\d+/.test(s) && !s.includes('filler 120'));
    await tmux.keys('cmd', 'Escape');
    await tmux.waitForScreen('cmd', 'the bottom', (s) => !s.includes('scrolled') && s.includes('!! limit must be'));
  });
});
