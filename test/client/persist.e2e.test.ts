/**
 * The client remembers across a restart, in tmux against the real server: rooms (and the config's),
 * the DM view, the view you were in, input history, and how far you had read; and keeps local logs.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, ROOT, startServer, type RunningServer } from '../helpers/server.js';
import { connectPeer, waitFor, type Peer } from './helpers.js';
import { Tmux } from './tmux.js';

const CLIENT = path.join(ROOT, 'dist/client/main.js');
const tmux = new Tmux(`chat-persist-${process.pid}`);
let server: RunningServer;
let pal: Peer;

beforeAll(async () => {
  server = await startServer({ args: ['--rate-limit', '0'] });
  pal = await connectPeer(server.wsUrl, 'pal');
  pal.send({ type: 'join', room: '#dev' });
  mkdirSync(path.join(tmux.home, 'config', 'chat'), { recursive: true });
  writeFileSync(path.join(tmux.home, 'config', 'chat', 'config.json'), JSON.stringify({ rooms: ['#ops'], logs: true, highlights: ['deploy'], time: '[%H:%M:%S]' }));
});

afterAll(async () => {
  await tmux.kill();
  await pal?.close();
  await server?.stop('SIGKILL');
  if (server) removeDir(server.dataDir);
});

const inputRow = (screen: string) => screen.trimEnd().split('\n').at(-1) ?? '';
const online = (s: string) => /● online/.test(s);

async function enter(session: string, line: string): Promise<void> {
  await tmux.type(session, line);
  await tmux.keys(session, 'Enter');
}

describe('the client across a restart', () => {
  it('comes back with its rooms, DM, view, input history and read position', async () => {
    await tmux.start('first', `node ${CLIENT} ${server.wsUrl} --nick keeper`);
    await tmux.waitForScreen('first', 'online with #ops from the config', (s) => online(s) && /^3 #ops/m.test(s));
    await enter('first', '/join #dev');
    await tmux.waitForScreen('first', '#dev', (s) => inputRow(s) === '[#dev]');
    await enter('first', '/msg pal hello pal');
    await tmux.waitForScreen('first', 'the DM', (s) => inputRow(s) === '[@pal]' && /^5 @pal/m.test(s));
    await enter('first', '/win 4');
    await enter('first', 'typed in dev');
    // Lines carry the config's time format.
    await tmux.waitForScreen('first', 'the line sent', (s) => /\[\d\d:\d\d:\d\d\] <keeper> typed in dev/.test(s) && !s.includes('[sending'));
    await tmux.keys('first', 'C-c');
    expect(await tmux.exitCode('first')).toBe(0);

    for (const text of ['while away 1', 'while away 2, the deploy is done', 'while away 3']) pal.send({ type: 'say', room: '#dev', text });
    await waitFor('pal\'s lines stored', () => pal.received.filter((m) => m.type === 'message' && m.text.startsWith('while away')).length === 3);

    await tmux.start('second', `node ${CLIENT} ${server.wsUrl} --nick keeper`);
    const back = await tmux.waitForScreen('second', 'back in #dev with everything', (s) => online(s) && inputRow(s) === '[#dev]'
      && /^3 #ops/m.test(s) && /^4 #dev/m.test(s) && /^5 @pal/m.test(s) && s.includes('<pal> while away 3'));
    // The "new" rule sits where reading stopped.
    const rows = back.split('\n');
    const rule = rows.findIndex((r) => r.includes('─ new ─'));
    expect(rule).toBeGreaterThan(rows.findIndex((r) => r.includes('<keeper> typed in dev')));
    expect(rule).toBeLessThan(rows.findIndex((r) => r.includes('<pal> while away 1')));
    await tmux.keys('second', 'Up');
    await tmux.waitForScreen('second', 'the input history', (s) => inputRow(s) === '[#dev] typed in dev');
    await tmux.keys('second', 'C-u');
    // Read elsewhere, #dev counts what arrives, with the mark for the highlight word.
    await tmux.keys('second', 'M-2');
    pal.send({ type: 'say', room: '#dev', text: 'deploy again' });
    await tmux.waitForScreen('second', 'the unread mention', (s) => /^4 #dev\s+@1│/m.test(s));

    const logs = path.join(tmux.home, 'data', 'chat', 'logs');
    const [serverDir] = readdirSync(logs);
    const devLog = await waitFor('the log to be written', () => {
      const text = readFileSync(path.join(logs, serverDir!, '#dev.log'), 'utf8');
      return /<pal> deploy again$/m.test(text) ? text : undefined;
    });
    expect(devLog).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d <keeper> typed in dev$/m);
    expect(readFileSync(path.join(logs, serverDir!, '@pal.log'), 'utf8')).toMatch(/<keeper> hello pal$/m);
  });
});
