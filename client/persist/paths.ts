/**
 * Where the client keeps its files, after the XDG base directory spec: settings in $XDG_CONFIG_HOME
 * (~/.config), what it remembers between runs in $XDG_STATE_HOME (~/.local/state), logs in
 * $XDG_DATA_HOME (~/.local/share), each in a `chat` folder.
 */
import os from 'node:os';
import path from 'node:path';

type Env = Record<string, string | undefined>;

function base(env: Env, name: string, fallback: string[]): string {
  const value = env[name];
  // The spec says a relative path is invalid and to be ignored.
  if (value && path.isAbsolute(value)) return value;
  return path.join(env.HOME || os.homedir(), ...fallback);
}

export function configFile(env: Env): string {
  return path.join(base(env, 'XDG_CONFIG_HOME', ['.config']), 'chat', 'config.json');
}

export function stateDir(env: Env): string {
  return path.join(base(env, 'XDG_STATE_HOME', ['.local', 'state']), 'chat');
}

export function logDir(env: Env): string {
  return path.join(base(env, 'XDG_DATA_HOME', ['.local', 'share']), 'chat', 'logs');
}

/** A file or folder name for any text (a server address, a room): safe characters only, still readable. */
export function fileNameFor(text: string): string {
  return text.replace(/^[a-z]+:\/\//i, '').replace(/[^A-Za-z0-9#@._-]+/g, '_').replace(/^\.+/, '_').slice(0, 120);
}
