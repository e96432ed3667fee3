/** Command-line arguments and the help text. */
import { parseArgs } from 'node:util';
import { isValidNick, NICK_MAX } from '../shared/index.js';
import { clientHelp } from './help.js';
import { DEFAULT_SERVER, parseServerAddress, type ServerAddress } from './net/address.js';

export type CliResult =
  | { kind: 'run'; address: ServerAddress; nick: string }
  | { kind: 'help'; text: string }
  | { kind: 'error'; message: string };

/** Turns a login name into a valid nick: allowed characters only, a letter first, at most 24. */
export function nickFromLogin(login: string): string {
  const cleaned = login.replace(/[^A-Za-z0-9_\-[\]\\^{}|]/g, '').replace(/^[^A-Za-z]+/, '').slice(0, NICK_MAX);
  return isValidNick(cleaned) ? cleaned : 'guest';
}

export function usage(): string {
  return [
    'Usage: chat [ws://host:port | tcp://host:port] [--nick NAME]',
    '',
    `A full-screen terminal chat client. Connects to ${DEFAULT_SERVER} by default, with your login name as nick.`,
    'If the nick is taken or invalid, the client asks for another.',
    '',
    'Options:',
    '  -n, --nick NAME            the nick to use',
    '  -h, --help                 show this help',
    '',
    'Environment:',
    '  NO_COLOR=1                 no colours, only bold/underline/reverse',
    '',
    clientHelp(),
  ].join('\n');
}

export function parseCli(argv: string[], login: string): CliResult {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { nick: { type: 'string', short: 'n' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
  } catch (err) {
    return { kind: 'error', message: `${(err as Error).message}\nTry --help.` };
  }
  if (parsed.values.help) return { kind: 'help', text: usage() };
  if (parsed.positionals.length > 1) return { kind: 'error', message: 'give at most one server address; try --help' };
  const address = parseServerAddress(parsed.positionals[0] ?? DEFAULT_SERVER);
  if (typeof address === 'string') return { kind: 'error', message: address };
  return { kind: 'run', address, nick: parsed.values.nick ?? nickFromLogin(login) };
}
