import { PROTOCOL_VERSION, REASON_MAX } from '../../shared/limits.js';
import type { Config } from '../config.js';
import type { IrcSettings } from './irc-peer.js';
import { CHATHISTORY_MAX } from './irc-commands.js';
import { isupportReplies, isupportTokens } from './isupport.js';

/** What every IRC connection shares, from the server's options; checked at start-up. */
export function ircSettings(config: Pick<Config, 'serverName' | 'motd' | 'maxRoomsPerConnection' | 'maxTopicBytes'>):
  { ok: true; settings: IrcSettings } | { ok: false; error: string } {
  const server = config.serverName;
  if (!/^[\x21-\x7e]+$/.test(server) || server.startsWith(':')) {
    return { ok: false, error: `--irc-port: the server name "${server}" is an IRC source and may hold no spaces or control characters; set --server-name` };
  }
  const isupport = isupportTokens({
    network: server, maxRoomsPerConnection: config.maxRoomsPerConnection, maxTopicBytes: config.maxTopicBytes, chathistoryMax: CHATHISTORY_MAX,
    awayLength: REASON_MAX,
  });
  try {
    isupportReplies(server, 'check', isupport);
  } catch (err) {
    return { ok: false, error: `--irc-port: ${(err as Error).message}` };
  }
  const version = `chat-v${PROTOCOL_VERSION}`;
  return { ok: true, settings: { server, network: server, version, created: new Date().toUTCString(), motd: config.motd, isupport } };
}
