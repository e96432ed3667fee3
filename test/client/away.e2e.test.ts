/** Away in the real client, in tmux, against the real server: the status line, the member list, the DM note, /whois. */
import path from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { removeDir, ROOT, startServer, type RunningServer } from '../helpers/server.js';
import { connectPeer, waitFor, type Peer } from './helpers.js';
import { Tmux } from './tmux.js';

const CLIENT = path.join(ROOT, 'dist/client/main.js');
const tmux = new Tmux(`chat-away-${process.pid}`);
let server: RunningServer;
let peer: Peer;

beforeAll(async () => {
  server = await startServer({ args: ['--rate-limit', '0'] });
  peer = await connectPeer(server.wsUrl, 'pal');
  await tmux.start('away', `node ${CLIENT} ${server.wsUrl} --nick me`, 100, 24);
});

afterAll(async () => {
  await tmux.kill();
  await peer?.close();
  await server?.stop('SIGKILL');
  if (server) removeDir(server.dataDir);
});

async function enter(line: string): Promise<void> {
  await tmux.type('away', line);
  await tmux.keys('away', 'Enter');
}

const statusRow = (screen: string) => screen.trimEnd().split('\n').at(-2) ?? '';

describe('away in the terminal client', () => {
  it('/away marks me in the status line and others see it; their away shows in the member list and under a DM', async () => {
    await tmux.waitForScreen('away', 'online', (s) => /● online/.test(s) && /^\[#lobby\]/m.test(s) && /│pal\s*$/m.test(s));
    await enter('/away stepping out');
    await tmux.waitForScreen('away', 'me away', (s) => /│ me \(away\) │/.test(statusRow(s)) && s.includes('you are away: stepping out'));
    await waitFor('pal told', () => peer.received.some((m) => m.type === 'away' && m.nick === 'me' && m.reason === 'stepping out'));

    peer.send({ type: 'away', reason: 'asleep' });
    await tmux.waitForScreen('away', 'pal marked', (s) => /│pal \(away\)\s*$/m.test(s));
    await enter('/msg pal wake up');
    await tmux.waitForScreen('away', 'the DM note', (s) => s.includes('<me> wake up') && s.includes('pal is away: asleep'));
    await enter('/whois pal');
    await tmux.waitForScreen('away', 'whois', (s) => s.includes('pal: a guest, away: asleep'));

    await enter('/back');
    await tmux.waitForScreen('away', 'me back', (s) => /│ me │/.test(statusRow(s)) && s.includes('you are back'));
    peer.send({ type: 'away' });
    await tmux.waitForScreen('away', 'pal back', (s) => /│pal\s*$/m.test(s) && !s.includes('pal (away)'));
  });
});
