/**
 * Pasting in the real client, in tmux, against a real server with its default flood limits: a bracketed
 * paste (tmux paste-buffer -p) becomes one message after a question, a paste over the length limit becomes
 * several paced messages, and Alt+Enter puts a line break in the input.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeDir, ROOT, startServer, type RunningServer } from '../helpers/server.js';
import { connectPeer, waitFor, type Peer } from './helpers.js';
import { Tmux } from './tmux.js';

const CLIENT = path.join(ROOT, 'dist/client/main.js');
const tmux = new Tmux(`chat-paste-${process.pid}`);
let server: RunningServer;
let reader: Peer;
let tmp: string;

beforeAll(async () => {
  server = await startServer();
  tmp = makeTempDir('chat-paste-');
  reader = await connectPeer(server.wsUrl, 'reader');
  reader.send({ type: 'join', room: '#paste' });
  await tmux.start('paster', `node ${CLIENT} ${server.wsUrl} --nick paster`, 120, 40);
});

afterAll(async () => {
  await tmux.kill();
  await reader?.close();
  await server?.stop('SIGKILL');
  if (server) removeDir(server.dataDir);
  if (tmp) removeDir(tmp);
});

const inputRow = (screen: string) => screen.trimEnd().split('\n').at(-1) ?? '';
const said = () => reader.received.flatMap((m) => (m.type === 'message' && m.room === '#paste' ? [m.text] : []));

async function paste(lines: string[], bracketed = true): Promise<void> {
  const file = path.join(tmp, 'buffer.txt');
  writeFileSync(file, `${lines.join('\n')}\n`);
  await tmux.tmux('load-buffer', file);
  await tmux.tmux('paste-buffer', ...(bracketed ? ['-p'] : []), '-t', 'paster');
}

describe('pasting into the terminal client', () => {
  it('sends an 80-line bracketed paste as one message after asking, with no flood', async () => {
    await tmux.waitForScreen('paster', 'online', (s) => /● online/.test(s) && /^\[#lobby\]/m.test(s));
    await tmux.type('paster', '/join #paste');
    await tmux.keys('paster', 'Enter');
    await tmux.waitForScreen('paster', 'the #paste view', (s) => /^\[#paste\]/m.test(s));

    const lines = Array.from({ length: 80 }, (_, i) => `paste line ${String(i + 1).padStart(2, '0')}`);
    await paste(lines);
    await tmux.waitForScreen('paster', 'the paste in the input', (s) => inputRow(s).startsWith('[#paste 80 lines]') && inputRow(s).endsWith('↵paste line 80'));
    expect(said()).toEqual([]);
    await tmux.keys('paster', 'Enter');
    await tmux.waitForScreen('paster', 'the question', (s) => /^Send 80 lines \([\d,]+ characters\) to #paste as one message\? y\/n/m.test(inputRow(s)));
    await tmux.type('paster', 'y');
    await waitFor('one message with all 80 lines', () => said().length === 1);
    expect(said()[0]).toBe(lines.join('\n'));
    // One message: its lines are continuation rows under the nick (marked ↳), so the newest rows have no time stamp.
    const screen = await tmux.waitForScreen('paster', 'the message shown, confirmed', (s) => /^\s+│\s+↳ paste line 80\s+│/m.test(s) && !s.includes('[sending'));
    expect(screen).toMatch(/^\s+│\s+↳ paste line 79\s+│/m);
    expect(inputRow(screen)).toBe('[#paste]');
  });

  it('gives a declined paste back to the input, and splits one over 4000 characters into paced messages', async () => {
    await paste(['one', 'two', 'three', 'four', 'five', 'six']);
    await tmux.waitForScreen('paster', 'six lines in the input', (s) => inputRow(s).startsWith('[#paste 6 lines] one↵two'));
    await tmux.keys('paster', 'Enter');
    await tmux.waitForScreen('paster', 'the question', (s) => inputRow(s).startsWith('Send 6 lines'));
    await tmux.type('paster', 'n');
    await tmux.waitForScreen('paster', 'the paste back in the input', (s) => inputRow(s).startsWith('[#paste 6 lines] one↵two'));
    await tmux.keys('paster', 'C-u');

    const long = Array.from({ length: 150 }, (_, i) => `${String(i + 1).padStart(3, '0')} ${'lorem ipsum '.repeat(4)}`.trimEnd());
    await paste(long);
    await tmux.waitForScreen('paster', 'the long paste', (s) => inputRow(s).startsWith('[#paste 150 lines'));
    await tmux.keys('paster', 'Enter');
    await tmux.waitForScreen('paster', 'the split question', (s) => /^Over 4000 characters: send 150 lines \([\d,]+ characters\) to #paste as 2 messages\? y\/n/.test(inputRow(s)));
    await tmux.type('paster', 'y');
    await waitFor('two more messages', () => said().length === 3);
    expect(said().slice(1).join('\n')).toBe(long.join('\n'));
    expect(reader.received.filter((m) => m.type === 'error')).toEqual([]);
  });

  it('puts a line break in the input with Alt+Enter', async () => {
    await tmux.type('paster', 'first');
    await tmux.keys('paster', 'M-Enter');
    await tmux.type('paster', 'second');
    await tmux.waitForScreen('paster', 'two lines in the input', (s) => inputRow(s) === '[#paste 2 lines] first↵second');
    await tmux.keys('paster', 'Enter');
    await waitFor('the two-line message', () => said().at(-1) === 'first\nsecond');
    await tmux.waitForScreen('paster', 'shown on two rows', (s) => /<paster> first\s*│?\n.*│\s+↳ second/.test(s));
  });
});
