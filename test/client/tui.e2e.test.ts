import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, ROOT, startServer, type RunningServer } from '../helpers/server.js';
import { connectPeer, waitFor, type Peer } from './helpers.js';
import { Tmux } from './tmux.js';

const CLIENT = path.join(ROOT, 'dist/client/main.js');
// A message of the day full of terminal attacks: title change, clear screen, cursor home, colour, OSC 52 clipboard.
const HOSTILE_MOTD = 'motd-start \x1b]2;PWNED\x07\x1b[2J\x1b[H\x1b[31mred\x1b]52;c;ZXZpbA==\x07 motd-end';

let server: RunningServer;
let carol: Peer;
const tmux = new Tmux(`chat-e2e-${process.pid}`);

beforeAll(async () => {
  server = await startServer({ env: { CHAT_MOTD: HOSTILE_MOTD }, args: ['--rate-limit', '0'] });
  await tmux.start('alice', `node ${CLIENT} ${server.wsUrl} --nick alice`);
  // bob also runs under a TERM no terminfo knows (gomuks #86).
  await tmux.start('bob', `env TERM=weird-term-9000 node ${CLIENT} tcp://127.0.0.1:${server.tcpPort} --nick bob`);
  carol = await connectPeer(server.wsUrl, 'carol');
});

afterAll(async () => {
  await tmux.kill();
  await carol?.close();
  await server?.stop('SIGKILL');
  if (server) removeDir(server.dataDir);
});

const online = (screen: string) => /● online/.test(screen) && /^\[#lobby\]/m.test(screen);

describe('the terminal client in tmux against the real server', () => {
  it('chats between two terminals and a plain WebSocket client, across rooms', async () => {
    await tmux.waitForScreen('alice', 'alice online in #lobby', online);
    await tmux.waitForScreen('bob', 'bob online in #lobby', online);

    await tmux.type('alice', 'hello from alice 你好 🇫🇷');
    await tmux.keys('alice', 'Enter');
    for (const who of ['alice', 'bob']) {
      await tmux.waitForScreen(who, 'alice\'s message', (s) => s.includes('<alice> hello from alice 你好 🇫🇷'));
    }

    carol.send({ type: 'say', room: '#lobby', text: 'hi from a plain ws client, bob' });
    const bobScreen = await tmux.waitForScreen('bob', 'carol\'s message', (s) => s.includes('<carol> hi from a plain ws client, bob'));
    expect(bobScreen).toMatch(/Members \(3\)/);

    await tmux.type('alice', '/join #second');
    await tmux.keys('alice', 'Enter');
    await tmux.waitForScreen('alice', 'the #second view', (s) => /^\[#second\]/m.test(s) && /^3 #second/m.test(s));
    carol.send({ type: 'say', room: '#lobby', text: 'while alice looks elsewhere' });
    // #lobby shows one unread line, which mentions alice, in her room list.
    await tmux.waitForScreen('alice', 'unread count', (s) => /^2 #lobby\s+@1│/m.test(s));
    // The window title says where she is and that a mention waits elsewhere (a tmux or terminal tab shows it).
    await expect.poll(() => tmux.display('alice', '#{pane_title}')).toBe('(1!) #second — chat');
    carol.send({ type: 'join', room: '#second' });
    carol.send({ type: 'say', room: '#second', text: 'carol in second' });
    await tmux.waitForScreen('alice', 'carol in #second', (s) => s.includes('<carol> carol in second'));
    await tmux.keys('alice', 'M-2');
    await tmux.waitForScreen('alice', 'back in #lobby', (s) => /^\[#lobby\]/m.test(s) && s.includes('while alice looks elsewhere'));
    await expect.poll(() => tmux.display('alice', '#{pane_title}')).toBe('#lobby — chat');
  });

  it('keeps escape sequences and bidi overrides from other users off the screen', async () => {
    carol.send({ type: 'say', room: '#lobby', text: 'bidi \u202eevil\u202c end' });
    carol.send({ type: 'say', room: '#lobby', text: 'esc \x1b]2;PWNED\x07\x1b[2J\x1b[31m gone' });
    const screen = await tmux.waitForScreen('bob', 'the bidi line', (s) => s.includes('<carol> bidi <U+202E>evil<U+202C> end'));
    expect(screen).not.toMatch(/[\u202a-\u202e\u2066-\u2069\x1b]/);
    // The server view holds the hostile message of the day, drawn as plain text.
    await tmux.keys('bob', 'M-1');
    const motd = await tmux.waitForScreen('bob', 'the motd', (s) => s.includes('motd-start') && s.includes('motd-end'));
    expect(motd).toContain('motd-start red motd-end');
    await tmux.keys('bob', 'C-n');
    await tmux.waitForScreen('bob', 'back in #lobby', (s) => /^\[#lobby\]/m.test(s));
    // Nothing cleared the screen, and the pane title was never changed.
    expect(await tmux.screen('bob')).toContain('<alice> hello from alice');
    expect(await tmux.display('bob', '#{pane_title}')).not.toContain('PWNED');
    expect(await tmux.display('alice', '#{pane_title}')).not.toContain('PWNED');
  });

  it('redraws after resizes down to a tiny window and back, then still chats', async () => {
    await tmux.resize('alice', 40, 10);
    await tmux.waitForScreen('alice', '40x10 layout', (s) => {
      const rows = s.split('\n');
      return /^\[#lobby\]/m.test(s) && rows.some((r) => r.includes('online')) && !s.includes('Members');
    });
    // What each tiny size can still show: the start of the prompt, at least.
    for (const [w, h, shows] of [[12, 3, '[#lobby]'], [5, 2, '[#l'], [1, 1, ''], [4, 1, '[#']] as const) {
      await tmux.resize('alice', w, h);
      await tmux.waitForScreen('alice', `${w}x${h} redraw`, (s) => s.trimEnd().split('\n').at(-1)!.startsWith(shows));
      expect(await tmux.display('alice', '#{pane_dead}')).toBe('0');
    }
    await tmux.resize('alice', 100, 30);
    await tmux.waitForScreen('alice', 'full layout again', (s) => /^Rooms/m.test(s) && /Members \(\d\)/.test(s) && online(s));
    expect(await tmux.display('alice', '#{pane_dead}')).toBe('0');
    await tmux.type('alice', 'still alive after resizing');
    await tmux.keys('alice', 'Enter');
    await tmux.waitForScreen('bob', 'the message after resize', (s) => s.includes('<alice> still alive after resizing'));
  });

  it('asks for another nick when it is taken, then DMs and rings the other user', async () => {
    await tmux.start('dup', `node ${CLIENT} ${server.wsUrl} --nick carol`);
    await tmux.waitForScreen('dup', 'the nick prompt', (s) => s.includes('The nick carol is taken') && /^nick:$/m.test(s));
    await tmux.type('dup', 'carol2');
    await tmux.keys('dup', 'Enter');
    await tmux.waitForScreen('dup', 'dup online', online);
    await tmux.type('dup', '/msg bob psst, a secret');
    await tmux.keys('dup', 'Enter');
    await tmux.waitForScreen('dup', 'the DM view', (s) => /^\[@bob\]/m.test(s) && s.includes('<carol2> psst, a secret'));
    await tmux.waitForScreen('bob', 'the DM in the room list', (s) => /^\d @carol2\s+1│/m.test(s));
    await tmux.keys('dup', 'C-c');
    expect(await tmux.exitCode('dup')).toBe(0);
  });

  it('loads older history while scrolling up past the top', async () => {
    carol.send({ type: 'join', room: '#busy' });
    for (let i = 1; i <= 130; i++) carol.send({ type: 'say', room: '#busy', text: `bulk ${i} ${'x'.repeat(i % 7)}`, ref: `k${i}` });
    await waitFor('bulk acked', () => carol.received.filter((m) => m.type === 'ack' && m.ref.startsWith('k')).length === 130);
    await tmux.type('bob', '/join #busy');
    await tmux.keys('bob', 'Enter');
    await tmux.waitForScreen('bob', 'the newest bulk line', (s) => /^\[#busy\]/m.test(s) && s.includes('<carol> bulk 130'));
    // The mouse wheel, as an SGR mouse report (button 64 = wheel up, 65 = wheel down).
    await tmux.type('bob', '\x1b[<64;40;10M');
    await tmux.waitForScreen('bob', 'wheel scroll', (s) => s.includes('scrolled ↑3'));
    await tmux.type('bob', '\x1b[<65;40;10M');
    await tmux.waitForScreen('bob', 'wheel back down', (s) => !s.includes('scrolled ↑') && s.includes('<carol> bulk 130'));
    const deadline = Date.now() + 15_000;
    let screen = '';
    while (!screen.includes('— start of #busy —')) {
      if (Date.now() > deadline) throw new Error(`never reached the start of #busy:\n${screen}`);
      await tmux.keys('bob', 'PageUp');
      await new Promise((r) => setTimeout(r, 100));
      screen = await tmux.screen('bob');
    }
    expect(screen).toMatch(/<carol> bulk 1 x\s/);
    const offset = Number(/scrolled ↑(\d+)/.exec(screen)![1]);
    // A new line below does not move what bob is reading: the offset grows by its one row instead.
    carol.send({ type: 'say', room: '#busy', text: 'new while bob reads' });
    const still = await tmux.waitForScreen('bob', 'the offset to follow', (s) => s.includes(`scrolled ↑${offset + 1}`));
    expect(still).toContain('— start of #busy —');
    expect(still).toMatch(/<carol> bulk 1 x\s/);
    await tmux.keys('bob', 'End');
    for (let i = 0; i < 12; i++) await tmux.keys('bob', 'PageDown');
    await tmux.waitForScreen('bob', 'the bottom again', (s) => s.includes('<carol> new while bob reads') && !s.includes('scrolled'));
    // DM views come after the rooms: #busy, joined after the DM opened, sits before it.
    expect(still).toMatch(/^3 #busy/m);
    await tmux.keys('bob', 'C-n');
    await tmux.waitForScreen('bob', 'the next view', (s) => /^\[@carol2\]/m.test(s));
    await tmux.keys('bob', 'M-2');
    await tmux.waitForScreen('bob', 'back to #lobby', (s) => /^\[#lobby\]/m.test(s));
  });

  it('completes with Tab, shows usage errors, and quits cleanly with /quit and Ctrl+C', async () => {
    await tmux.type('alice', 'ca');
    await tmux.keys('alice', 'Tab');
    await tmux.waitForScreen('alice', 'nick completion', (s) => /^\[#lobby\] carol:$/m.test(s)); // capture-pane trims the trailing space
    await tmux.keys('alice', 'C-u');
    await tmux.type('alice', '/msg');
    await tmux.keys('alice', 'Enter');
    await tmux.waitForScreen('alice', 'usage error', (s) => s.includes('!! usage: /msg nick text'));
    await tmux.type('alice', '/topic');
    await tmux.keys('alice', 'Enter');
    await tmux.waitForScreen('alice', 'the topic shown', (s) => s.includes('-!- #lobby has no topic'));
    await tmux.type('alice', '/quit');
    await tmux.keys('alice', 'Enter');
    await tmux.waitForScreen('bob', 'alice leaving', (s) => s.includes('alice left #lobby'));
    expect(await tmux.exitCode('alice')).toBe(0);
    await tmux.keys('bob', 'C-c');
    expect(await tmux.exitCode('bob')).toBe(0);
  });
});

describe('a server that is not there', () => {
  it('says once that it could not connect and why, counts down in the status line, and connects when it comes', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const lonely = new Tmux(`chat-e2e-lonely-${process.pid}`);
    let late: RunningServer | undefined;
    try {
      // A bare host and port, as a user would type it.
      await lonely.start('lonely', `node ${CLIENT} 127.0.0.1:${port} --nick lonely`);
      // A countdown of 2 s or more means several attempts have failed already.
      const failing = await lonely.waitForScreen('lonely', 'several failed attempts', (s) => /○ reconnecting in [2-9]\.\ds/.test(s), 15_000);
      expect(failing.match(/could not connect to ws:\/\/127\.0\.0\.1:\d+:/g)).toHaveLength(1);
      expect(failing).toContain('connection refused: nothing is listening there');
      expect(failing).not.toContain('connection lost');
      late = await startServer({ wsPort: port });
      const up = await lonely.waitForScreen('lonely', 'online at last', online, 20_000);
      expect(up).not.toContain('reconnected');
    } finally {
      await lonely.kill();
      await late?.stop('SIGKILL');
      if (late) removeDir(late.dataDir);
    }
  });
});

describe('the terminal after the client', () => {
  it('comes back as it was: what the shell printed before, and its cursor, after Ctrl+C', async () => {
    const solo = await startServer();
    const shell = new Tmux(`chat-e2e-exit-${process.pid}`);
    try {
      await shell.start('exit', `echo 'the shell before'; node ${CLIENT} ${solo.wsUrl} --nick leaver`);
      await shell.waitForScreen('exit', 'online', online);
      await shell.type('exit', 'abc');
      await shell.waitForScreen('exit', 'typed', (s) => /^\[#lobby\] abc/m.test(s));
      await shell.keys('exit', 'C-c');
      expect(await shell.exitCode('exit')).toBe(0);
      // Not on the bottom row, indented where the input cursor was (tmux, when ?47l came before ?1049l).
      expect((await shell.screenWithHistory('exit')).split('\n').slice(0, 2)).toEqual(['the shell before', '[exited with 0]']);
    } finally {
      await shell.kill();
      await solo.stop('SIGKILL');
      removeDir(solo.dataDir);
    }
  });
});

describe('the terminal client when the server dies', () => {
  it('shows the drop, queues what is typed, and delivers it after the server restarts on the same port', async () => {
    const first = await startServer();
    let second: RunningServer | undefined;
    const solo = new Tmux(`chat-e2e-solo-${process.pid}`);
    try {
      await solo.start('solo', `node ${CLIENT} ${first.wsUrl} --nick solo`);
      await solo.waitForScreen('solo', 'online', online);
      await solo.type('solo', 'before the crash');
      await solo.keys('solo', 'Enter');
      await solo.waitForScreen('solo', 'first message', (s) => s.includes('<solo> before the crash') && !s.includes('[sending'));
      await first.stop('SIGKILL');
      await solo.waitForScreen('solo', 'the drop in the status line', (s) => /○ (reconnecting|connecting)/.test(s));
      await solo.type('solo', 'typed while the server was down');
      await solo.keys('solo', 'Enter');
      await solo.waitForScreen('solo', 'the queued mark', (s) => s.includes('[queued: offline]'));
      second = await startServer({ dataDir: first.dataDir, wsPort: first.wsPort });
      const after = await solo.waitForScreen('solo', 'reconnected and delivered', (s) => online(s)
        && s.includes('<solo> typed while the server was down') && !s.includes('[queued'), 15_000);
      expect(after.indexOf('before the crash')).toBeLessThan(after.indexOf('typed while the server was down'));
      // The outage is told in the server view, once, not in the conversation.
      expect(after).not.toMatch(/connection lost|reconnect/);
      await solo.keys('solo', 'M-1');
      const told = await solo.waitForScreen('solo', 'the server view', (s) => /^\[server\]/m.test(s) && s.includes('reconnected after'));
      expect(told.match(/connection lost: /g)).toHaveLength(1);
      const peer = await connectPeer(second.wsUrl, 'witness');
      peer.send({ type: 'history', room: '#lobby' });
      await waitFor('the queued line in history', () => peer.received.some((m) => m.type === 'history'
        && m.messages.some((x) => x.text === 'typed while the server was down')));
      await peer.close();
    } finally {
      await solo.kill();
      await second?.stop('SIGKILL');
      await first.stop('SIGKILL');
      removeDir(first.dataDir);
    }
  });
});
