/** Command-line arguments and the help text. */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isValidNick, NICK_MAX } from '../shared/index.js';
import { clientHelp } from './help.js';
import { DEFAULT_SERVER, parseServerAddress, type ServerAddress } from './net/address.js';
import { loadConfig, type ClientConfig } from './persist/config.js';
import { configFile } from './persist/paths.js';

export type CliResult =
  | { kind: 'run'; address: ServerAddress; nick: string; config: ClientConfig; configFile?: string; ca?: string }
  | { kind: 'help'; text: string }
  | { kind: 'error'; message: string };

/** Turns a login name into a valid nick: allowed characters only, a letter first, at most 24. */
export function nickFromLogin(login: string): string {
  const cleaned = login.replace(/[^A-Za-z0-9_\-[\]\\^{}|]/g, '').replace(/^[^A-Za-z]+/, '').slice(0, NICK_MAX);
  return isValidNick(cleaned) ? cleaned : 'guest';
}

export function usage(): string {
  return [
    'Usage: chat [ws://host:port | wss://… | tcp://host:port | tls://…] [--nick NAME] [--ca FILE]',
    '',
    `A full-screen terminal chat client. Connects to ${DEFAULT_SERVER} by default, with your login name as nick.`,
    'If the nick is taken or invalid, the client asks for another.',
    '',
    'Options:',
    '  -n, --nick NAME            the nick to use',
    '  -c, --config FILE          settings file (default: $XDG_CONFIG_HOME/chat/config.json, ~/.config/…)',
    '      --ca FILE              trust this CA (PEM) too, for a wss:// or tls:// server with a private CA',
    '  -h, --help                 show this help',
    '  -V, --version              show the version',
    '',
    'Environment:',
    '  NO_COLOR=1                 no colours, only bold/underline/reverse',
    '',
    clientHelp(),
  ].join('\n');
}

const NICK_RULE = 'a letter, then up to 23 letters, digits or _-[]\\^{}|';

/** parseArgs' own words are written for programmers; these say what to do. */
function argumentError(err: Error & { code?: string }): string {
  const option = /'([^']+)'/.exec(err.message)?.[1];
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option ?? ''}; try --help`;
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `${/--[a-z-]+/.exec(err.message)?.[0] ?? 'an option'} needs a value; try --help`;
  return `${err.message}; try --help`;
}

/**
 * The arguments, over the config file, over the defaults. `env` locates the config file (XDG_CONFIG_HOME,
 * HOME); without either, only --config reads one.
 */
export function parseCli(argv: string[], login: string, env: Record<string, string | undefined> = {}): CliResult {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        nick: { type: 'string', short: 'n' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'V' },
        config: { type: 'string', short: 'c' }, ca: { type: 'string' },
      },
      allowPositionals: true,
    });
  } catch (err) {
    return { kind: 'error', message: argumentError(err as Error) };
  }
  if (parsed.values.help) return { kind: 'help', text: usage() };
  if (parsed.values.version) return { kind: 'help', text: `chat ${clientVersion()}` };
  if (parsed.positionals.length > 1) return { kind: 'error', message: 'give at most one server address; try --help' };
  const file = parsed.values.config ?? (env.XDG_CONFIG_HOME || env.HOME ? configFile(env) : undefined);
  const config = file === undefined ? {} : loadConfig(file, parsed.values.config !== undefined);
  if (typeof config === 'string') return { kind: 'error', message: config };
  const nick = parsed.values.nick ?? config.nick;
  if (nick !== undefined && !isValidNick(nick)) return { kind: 'error', message: `"${nick}" is not a valid nick: ${NICK_RULE}` };
  const address = parseServerAddress(parsed.positionals[0] ?? config.server ?? DEFAULT_SERVER);
  if (typeof address === 'string') return { kind: 'error', message: address };
  const caFile = parsed.values.ca ?? config.ca;
  const ca = caFile === undefined ? undefined : readCa(caFile);
  if (ca !== undefined && !ca.ok) return { kind: 'error', message: ca.error };
  const run: CliResult = { kind: 'run', address, nick: nick ?? nickFromLogin(login), config, ...(ca ? { ca: ca.pem } : {}) };
  return file === undefined ? run : { ...run, configFile: file };
}

/** The private CA's PEM, checked now so a wrong file is named before connecting. */
function readCa(file: string): { ok: true; pem: string } | { ok: false; error: string } {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, error: `cannot read the CA file ${file}: ${(err as Error).message}` };
  }
  try {
    new X509Certificate(pem);
  } catch {
    return { ok: false, error: `the CA file ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)` };
  }
  return { ok: true, pem };
}

/** The package version: package.json is one folder up from client/cli.ts, two from dist/client/cli.js. */
export function clientVersion(): string {
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { version?: string; bin?: Record<string, string> };
      if (pkg.bin?.chat && pkg.version) return pkg.version;
    } catch {
      // not this one
    }
  }
  return 'unknown';
}
