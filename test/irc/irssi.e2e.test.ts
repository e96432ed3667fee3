/**
 * The real irssi (the Debian package) in tmux against the real server's IRC port, beside a WebSocket user:
 * it connects, joins #lobby by hand (IRC sessions are not auto-joined), chats both ways, parts, comes
 * back and quits; and it logs in to an account with SASL PLAIN, or is refused with a wrong password.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JsonClient } from '../helpers/clients.js';
import { inUtf8, isMember, PATIENCE_MS, registerAccount, shellWord, startIrcServer } from '../helpers/irc-terminal.js';
import { removeDir, type RunningServer } from '../helpers/server.js';
import { Tmux } from '../client/tmux.js';

let server: RunningServer & { ircPort: number };
const tmux = new Tmux(`chat-irc-irssi-${process.pid}`);
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
 * An irssi home of its own holding `config`. irssi queues what it sends (2.2 s apart once five are out)
 * unless cmd_queue_speed is 0: irc_send_cmd sends at once when `cmdcount < cmds_max_at_once ||
 * cmd_queue_speed <= 0`, so the speed is what turns the queue off; the count is set to 0 with it, as
 * the issue asks, which alone would queue everything.
 */
function irssiHome(name: string, config: string): string {
  const home = path.join(tmux.home, `irssi-${name}`);
  mkdirSync(home, { recursive: true });
  writeFileSync(path.join(home, 'config'), `${config}
settings = {
  core = { real_name = "irssi in a test"; user_name = "${name}"; nick = "${name}"; settings_autosave = "no"; };
  "irc/core" = { cmd_queue_speed = "0"; cmds_max_at_once = "0"; };
  "fe-common/core" = { term_charset = "UTF-8"; };
};
`);
  return home;
}

/** A SASL PLAIN network whose one server irssi connects to at start. */
function saslConfig(account: string, password: string): string {
  return `servers = (
  { address = "127.0.0.1"; port = "${server.ircPort}"; chatnet = "chat"; use_tls = "no"; autoconnect = "yes"; }
);
chatnets = {
  chat = { type = "IRC"; sasl_mechanism = "PLAIN"; sasl_username = "${account}"; sasl_password = "${password}"; };
};`;
}

async function typeLine(session: string, line: string): Promise<void> {
  await tmux.type(session, line);
  await tmux.keys(session, 'Enter');
}

const screenShows = (session: string, what: string, pattern: RegExp) =>
  tmux.waitForScreen(session, what, (s) => pattern.test(s), PATIENCE_MS);

describe('irssi against the IRC port', { timeout: 4 * PATIENCE_MS }, () => {
  it('connects, joins #lobby by hand, chats both ways with a WebSocket user, parts, comes back and quits', async () => {
    const web = await webUser('webby');
    const home = irssiHome('ircy', '');
    await tmux.start('plain', inUtf8(`irssi --home=${shellWord(home)} -c 127.0.0.1 -p ${server.ircPort} -n ircy`), 100, 30);
    await screenShows('plain', 'the welcome', /Welcome to the chat IRC Network ircy!/);
    expect(await isMember(web, '#lobby', 'ircy')).toBe(false);

    await typeLine('plain', '/join #lobby');
    await web.next((m) => m.type === 'joined' && m.room === '#lobby' && m.nick === 'ircy', PATIENCE_MS);
    // irssi's own join line and its names list, which holds the WebSocket user.
    await screenShows('plain', 'the join and the names', /ircy \[~u@chat\] has joined #lobby[\s\S]*\[ webby\]/);

    await typeLine('plain', 'hello from irssi, ünïcödé ✓');
    expect(await web.next((m) => m.type === 'message' && m.from === 'ircy', PATIENCE_MS)).toMatchObject({ room: '#lobby', text: 'hello from irssi, ünïcödé ✓' });
    await typeLine('plain', '/me waves from irssi');
    expect(await web.next((m) => m.type === 'message' && m.from === 'ircy', PATIENCE_MS)).toMatchObject({ text: 'waves from irssi', action: true });

    web.send({ type: 'say', room: '#lobby', text: 'hi ircy, from the web ✓' });
    await screenShows('plain', 'the web user\'s message', /<.?webby> hi ircy, from the web ✓/);
    web.send({ type: 'say', room: '#lobby', text: 'nods', action: true });
    await screenShows('plain', 'the web user\'s action', /\* webby nods/);

    await typeLine('plain', '/part #lobby see you');
    expect(await web.next((m) => m.type === 'left' && m.nick === 'ircy', PATIENCE_MS)).toMatchObject({ room: '#lobby', reason: 'see you' });
    expect(await isMember(web, '#lobby', 'ircy')).toBe(false);

    await typeLine('plain', '/join #lobby');
    await web.next((m) => m.type === 'joined' && m.room === '#lobby' && m.nick === 'ircy', PATIENCE_MS);
    await typeLine('plain', '/quit leaving now');
    expect(await web.next((m) => m.type === 'left' && m.nick === 'ircy', PATIENCE_MS)).toMatchObject({ room: '#lobby', quit: true, reason: 'leaving now' });
    expect(await tmux.exitCode('plain', PATIENCE_MS)).toBe(0);
  });

  it('logs in to an account with SASL PLAIN and takes its nick', async () => {
    await registerAccount(server.wsUrl, 'Sasly', 'correct horse');
    const web = await webUser('websa');
    // The nick irssi asks for is not the account's: logging in gives it the account's nick.
    const home = irssiHome('someone', saslConfig('sasly', 'correct horse'));
    await tmux.start('sasl', inUtf8(`irssi --home=${shellWord(home)}`), 100, 30);
    await screenShows('sasl', 'SASL success and the welcome', /SASL authentication succeeded[\s\S]*Welcome to the chat IRC Network Sasly!/);

    await typeLine('sasl', '/join #lobby');
    await web.next((m) => m.type === 'joined' && m.room === '#lobby' && m.nick === 'Sasly', PATIENCE_MS);
    await typeLine('sasl', 'logged in from irssi');
    expect(await web.next((m) => m.type === 'message' && m.from === 'Sasly', PATIENCE_MS)).toMatchObject({ room: '#lobby', text: 'logged in from irssi' });
    await typeLine('sasl', '/quit');
    expect(await tmux.exitCode('sasl', PATIENCE_MS)).toBe(0);
  });

  it('is refused with a wrong SASL password and never registers', async () => {
    await registerAccount(server.wsUrl, 'Wrongo', 'correct horse');
    const home = irssiHome('wrongo', saslConfig('wrongo', 'battery staple'));
    await tmux.start('refused', inUtf8(`irssi --home=${shellWord(home)}`), 100, 30);
    // irssi gives up on a failed SASL (sasl_disconnect_on_failure is on by default).
    const screen = await screenShows('refused', 'the refusal', /Cannot authenticate via SASL \(SASL authentication failed\)[\s\S]*Connection lost/);
    expect(screen).not.toMatch(/Welcome to the chat IRC Network/);
    await typeLine('refused', '/quit');
    expect(await tmux.exitCode('refused', PATIENCE_MS)).toBe(0);
  });
});
