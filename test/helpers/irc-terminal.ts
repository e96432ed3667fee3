/**
 * For the tests that drive real IRC clients (irssi, weechat) in tmux against the real server: a server
 * with its IRC port open, the shell words to start a client, and an account to log in to with SASL.
 */
import { JsonClient } from './clients.js';
import { startServer, type RunningServer } from './server.js';

/** How long a test waits for a client's screen or the server's answer: a slow, shared machine is fine. */
export const PATIENCE_MS = 30_000;

export async function startIrcServer(): Promise<RunningServer & { ircPort: number }> {
  const server = await startServer({ args: ['--irc-port', '0'] });
  if (server.ircPort === null) throw new Error(`the server printed no irc:// port:\n${server.output()}`);
  return { ...server, ircPort: server.ircPort };
}

/** One word for `sh -c`, whatever it holds. */
export function shellWord(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * A command line run under a UTF-8 locale: without one (tmux starts panes with the caller's environment,
 * often plain C), irssi takes the terminal for ASCII and weechat draws no wide characters.
 */
export function inUtf8(command: string): string {
  return `env LANG=C.UTF-8 LC_ALL=C.UTF-8 ${command}`;
}

/** Registers `nick` as an account with `password` over WebSocket, then leaves, freeing the nick. */
export async function registerAccount(wsUrl: string, nick: string, password: string): Promise<void> {
  const owner = await JsonClient.registered('ws', wsUrl, nick);
  owner.send({ type: 'register', password, ref: 'register' });
  const answer = await owner.next((m) => (m.type === 'account' && m.account === nick) || (m.type === 'error' && m.ref === 'register'), PATIENCE_MS);
  owner.close();
  await owner.closedPromise;
  if (answer.type !== 'account') throw new Error(`could not register ${nick}: ${JSON.stringify(answer)}`);
}

/** Whether `room`'s members (as the server answers `who` to `client`) include `nick`. */
export async function isMember(client: JsonClient, room: string, nick: string): Promise<boolean> {
  const ref = `who-${room}-${nick}`;
  client.send({ type: 'who', room, ref });
  const who = await client.next((m) => m.type === 'who' && m.room === room, PATIENCE_MS);
  if (who.type !== 'who') throw new Error('unreachable');
  return who.users.includes(nick);
}
