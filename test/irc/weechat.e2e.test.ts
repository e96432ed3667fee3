/**
 * The real weechat (the Debian package's curses client) in tmux against the real server's IRC port, beside
 * a WebSocket user: it connects, joins #lobby by hand (IRC sessions are not auto-joined), chats both ways,
 * parts, comes back and quits; and it logs in to an account with SASL PLAIN, or is refused with a wrong
 * password.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JsonClient } from '../helpers/clients.js';
import { inUtf8, isMember, PATIENCE_MS, registerAccount, shellWord, startIrcServer } from '../helpers/irc-terminal.js';
import { removeDir, type RunningServer } from '../helpers/server.js';
import { Tmux } from '../client/tmux.js';

let server: RunningServer & { ircPort: number };
const tmux = new Tmux(`chat-irc-weechat-${process.pid}`);
const open: JsonClient[] = [];

beforeAll(async () => {
  server = await startIrcServer();
});
afterEach(() => { for (const c of open.splice(0)) c.close(); });
afterAll(async () => {
  await tmux.kill();
  await server?.stop('SIGKILL');
  if (server) removeDir(server.dataDir);
});

async function webUser(nick: string): Promise<JsonClient> {
  const c = await JsonClient.registered('ws', server.wsUrl, nick);
  open.push(c);
  return c;
}

/**
 * weechat with a home of its own (`-d`), only its IRC plugin, and the commands it runs at start: the
 * server `chat` (no TLS, no autojoin), `settings`, then /connect. Its anti-flood queue (2 s between
 * queued lines in 3.8, `anti_flood_prio_*`; `anti_flood` in ms from 4.0) is turned off; the option
 * this version lacks is only reported on the core buffer.
 */
function weechat(name: string, nick: string, settings: Record<string, string> = {}): string {
  const home = path.join(tmux.home, `weechat-${name}`);
  const options = {
    anti_flood_prio_high: '0', anti_flood_prio_low: '0', anti_flood: '0', ...settings,
  };
  const commands = [
    `/server add chat 127.0.0.1/${server.ircPort} -notls -nicks=${nick}`,
    ...Object.entries(options).map(([option, value]) => `/set irc.server.chat.${option} ${value}`),
    '/connect chat',
  ];
  return inUtf8(`weechat -d ${shellWord(home)} -P irc -r ${shellWord(commands.join(';'))}`);
}

async function typeLine(session: string, line: string): Promise<void> {
  await tmux.type(session, line);
  await tmux.keys(session, 'Enter');
}

const screenShows = (session: string, what: string, pattern: RegExp) =>
  tmux.waitForScreen(session, what, (s) => pattern.test(s), PATIENCE_MS);

describe('weechat against the IRC port', { timeout: 4 * PATIENCE_MS }, () => {
  it('connects, joins #lobby by hand, chats both ways with a WebSocket user, parts, comes back and quits', async () => {
    const web = await webUser('webby');
    await tmux.start('plain', weechat('plain', 'weeuser'), 100, 30);
    await screenShows('plain', 'the welcome', /Welcome to the chat IRC Network weeuser!/);
    expect(await isMember(web, '#lobby', 'weeuser')).toBe(false);

    await typeLine('plain', '/join #lobby');
    await web.next((m) => m.type === 'joined' && m.room === '#lobby' && m.nick === 'weeuser', PATIENCE_MS);
    await screenShows('plain', 'the #lobby buffer with both users', /weeuser \(weeuser\) \(~u@chat\) has joined #lobby[\s\S]*Channel #lobby: 2 nicks/);

    await typeLine('plain', 'hello from weechat, ünïcödé ✓');
    expect(await web.next((m) => m.type === 'message' && m.from === 'weeuser', PATIENCE_MS)).toMatchObject({ room: '#lobby', text: 'hello from weechat, ünïcödé ✓' });
    await typeLine('plain', '/me waves from weechat');
    expect(await web.next((m) => m.type === 'message' && m.from === 'weeuser', PATIENCE_MS)).toMatchObject({ text: 'waves from weechat', action: true });

    web.send({ type: 'say', room: '#lobby', text: 'hi weeuser, from the web ✓' });
    await screenShows('plain', 'the web user\'s message', /webby \| hi weeuser, from the web ✓/);
    web.send({ type: 'say', room: '#lobby', text: 'nods', action: true });
    await screenShows('plain', 'the web user\'s action', /\* \| webby nods/);

    await typeLine('plain', '/part #lobby see you');
    expect(await web.next((m) => m.type === 'left' && m.nick === 'weeuser', PATIENCE_MS)).toMatchObject({ room: '#lobby', reason: 'see you' });
    await screenShows('plain', 'the part', /weeuser \(~u@chat\) has left #lobby \(see you\)/);
    expect(await isMember(web, '#lobby', 'weeuser')).toBe(false);

    await typeLine('plain', '/join #lobby');
    await web.next((m) => m.type === 'joined' && m.room === '#lobby' && m.nick === 'weeuser', PATIENCE_MS);
    await typeLine('plain', '/quit leaving now');
    expect(await web.next((m) => m.type === 'left' && m.nick === 'weeuser', PATIENCE_MS)).toMatchObject({ room: '#lobby', quit: true, reason: 'leaving now' });
    expect(await tmux.exitCode('plain', PATIENCE_MS)).toBe(0);
  });

  it('logs in to an account with SASL PLAIN and takes its nick', async () => {
    await registerAccount(server.wsUrl, 'Weesa', 'correct horse');
    const web = await webUser('websa');
    // The nick weechat asks for is not the account's: logging in gives it the account's nick.
    const sasl = { sasl_mechanism: 'plain', sasl_username: 'weesa', sasl_password: 'correct horse' };
    await tmux.start('sasl', weechat('sasl', 'someone', sasl), 100, 30);
    await screenShows('sasl', 'SASL success and the welcome', /SASL authentication successful[\s\S]*Welcome to the chat IRC Network Weesa!/);

    await typeLine('sasl', '/join #lobby');
    await web.next((m) => m.type === 'joined' && m.room === '#lobby' && m.nick === 'Weesa', PATIENCE_MS);
    await typeLine('sasl', 'logged in from weechat');
    expect(await web.next((m) => m.type === 'message' && m.from === 'Weesa', PATIENCE_MS)).toMatchObject({ room: '#lobby', text: 'logged in from weechat' });
    await typeLine('sasl', '/quit');
    expect(await tmux.exitCode('sasl', PATIENCE_MS)).toBe(0);
  });

  it('is refused with a wrong SASL password and never registers', async () => {
    await registerAccount(server.wsUrl, 'Wrongo', 'correct horse');
    const sasl = { sasl_mechanism: 'plain', sasl_username: 'wrongo', sasl_password: 'battery staple', sasl_fail: 'disconnect' };
    await tmux.start('refused', weechat('refused', 'wrongo', sasl), 100, 30);
    const screen = await screenShows('refused', 'the refusal', /SASL authentication failed[\s\S]*irc: disconnected from server/);
    expect(screen).not.toMatch(/Welcome to the chat IRC Network/);
    await typeLine('refused', '/quit');
    expect(await tmux.exitCode('refused', PATIENCE_MS)).toBe(0);
  });
});
