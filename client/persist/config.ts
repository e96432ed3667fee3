/**
 * The optional config file (JSON, see docs/client.md): the server, the nick, rooms to join, highlight
 * words, the bell, local logs, the theme and a private CA. Command-line arguments win over it. A file that is there but wrong is
 * an error with the file and the setting named, never silently ignored.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isValidNick, normalizeRoom } from '../../shared/index.js';
import { THEME_NAMES, type ThemeName } from '../ui/theme.js';
import { TIME_CODES, timeFormat } from '../ui/time-format.js';

export interface ClientConfig {
  server?: string;
  nick?: string;
  /** Joined at start, with the rooms remembered from last time. */
  rooms?: string[];
  /** Words that mark a line like a mention of your nick (whole words, any case). */
  highlights?: string[];
  /** "mentions" (default): mentions anywhere and DMs elsewhere; "off": never. */
  bell?: 'mentions' | 'off';
  /** Plain-text logs of rooms and DMs, one file each, in $XDG_DATA_HOME/chat/logs. */
  logs?: boolean;
  /** Remember rooms, DMs, input history and read positions between runs (default true). */
  remember?: boolean;
  /** Colours for a dark (default) or light terminal, or none. */
  theme?: ThemeName;
  /** The time before each line, strftime-style: "%H:%M" (default), "%H:%M:%S", "%l:%M %p", or "" for none. */
  time?: string;
  /** Sent in hello: your account's password (for a registered nick), or the server's. */
  password?: string;
  /** A private CA's PEM file that wss:// and tls:// trust besides the system's; relative to the config file. */
  ca?: string;
}

export const CONFIG_KEYS: Record<keyof ClientConfig, string> = {
  server: 'ws://host:port, tcp://host:port or host:port',
  nick: 'your nick',
  rooms: 'a list of rooms to join, such as ["#dev", "#ops"]',
  highlights: 'a list of words, such as ["deploy", "alice"]',
  bell: '"mentions" or "off"',
  logs: 'true or false',
  remember: 'true or false',
  theme: '"dark", "light" or "mono"',
  time: `a time pattern such as "%H:%M" (default), "%H:%M:%S" or "%l:%M %p"; "" for none (codes: ${TIME_CODES})`,
  password: "your account's password, or the server's (CHAT_PASSWORD also sets it)",
  ca: 'the PEM file of a private CA, for wss:// and tls:// (relative to this file)',
};

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function problem(key: string, value: unknown): string | undefined {
  switch (key) {
    case 'server': return typeof value === 'string' && value !== '' ? undefined : 'must be a server address';
    case 'nick': return typeof value === 'string' && isValidNick(value) ? undefined : 'must be a valid nick';
    case 'rooms':
      if (!isStringList(value)) return 'must be a list of room names';
      return value.find((r) => normalizeRoom(r) === null) === undefined ? undefined : `has a bad room name: ${value.find((r) => normalizeRoom(r) === null)}`;
    case 'highlights': return isStringList(value) && value.every((w) => w.trim() !== '') ? undefined : 'must be a list of words';
    case 'bell': return value === 'mentions' || value === 'off' ? undefined : 'must be "mentions" or "off"';
    case 'password': return typeof value === 'string' && value !== '' ? undefined : 'must be a password';
    case 'theme': return THEME_NAMES.includes(value as ThemeName) ? undefined : 'must be "dark", "light" or "mono"';
    case 'time': {
      if (typeof value !== 'string') return 'must be a time pattern such as "%H:%M"';
      const format = timeFormat(value);
      return typeof format === 'function' ? undefined : format.error;
    }
    case 'ca': return typeof value === 'string' && value !== '' ? undefined : 'must be the path of a PEM CA certificate';
    case 'logs':
    case 'remember': return typeof value === 'boolean' ? undefined : 'must be true or false';
    default: return `is not a setting (known: ${Object.keys(CONFIG_KEYS).join(', ')})`;
  }
}

/**
 * Reads the config at `file`. A missing file is an empty config, unless the user named it (`required`).
 * Returns an error message otherwise.
 */
export function loadConfig(file: string, required: boolean): ClientConfig | string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !required) return {};
    return `cannot read the config file ${file}: ${(err as Error).message}`;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `the config file ${file} is not valid JSON: ${(err as Error).message}`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `the config file ${file} must hold one JSON object`;
  for (const [key, v] of Object.entries(value)) {
    const wrong = problem(key, v);
    if (wrong) return `in ${file}: "${key}" ${wrong}`;
  }
  const config = value as ClientConfig;
  if (config.ca) config.ca = path.resolve(path.dirname(file), config.ca);
  return config.rooms ? { ...config, rooms: config.rooms.map((r) => normalizeRoom(r)!) } : config;
}
