/**
 * Server settings: one table of options (flag, environment variable, default, bounds, help), read once
 * at start-up. Flags win over the environment; anything out of bounds fails with a clear message.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_HOST, DEFAULT_TCP_PORT, DEFAULT_WS_PORT } from '../shared/limits.js';
import { isValidNick, normalizeRoom } from '../shared/validate.js';
import { parseAddressList } from './admission.js';
import { parseOrigins } from './transports/origins.js';

export interface Config {
  host: string;
  port: number;
  tcpPort: number;
  /** The IRC listener's port; -1 when it is off. */
  ircPort: number;
  data: string;
  logLevel: string;
  serverName: string;
  motd: string;
  maxConnections: number;
  /** Messages per second per connection; 0 turns flood control off. */
  rateLimit: number;
  rateBurst: number;
  /** How many RATE_LIMITED / TOO_LARGE strikes a connection may collect before it is closed. */
  abuseStrikes: number;
  /** A connection whose unsent output grows past this is a slow consumer and is dropped. */
  maxBufferedBytes: number;
  pingIntervalMs: number;
  registrationTimeoutMs: number;
  /** In rooms above this size single joins and parts are not announced (who stays exact). */
  announceLimit: number;
  maxRooms: number;
  maxRoomsPerConnection: number;
  maxRoomMembers: number;
  maxTopicBytes: number;
  /** Bytes of message text per second one room may take; 0 turns it off. */
  roomRate: number;
  maxPerAddress: number;
  maxUnregisteredPerAddress: number;
  /** New connections per second per address; 0 turns it off. */
  connectRate: number;
  connectBurst: number;
  /** Addresses and CIDR blocks free of the per-address caps (comma-separated; empty: none). */
  limitExempt: string;
  /** How long an HTTP request may take to arrive, and a TCP socket may stay without a first byte. */
  handshakeTimeoutMs: number;
  /** Where /healthz and /metrics are served (rate limited); off the chat ports. */
  adminHost: string;
  adminPort: number;
  /** A history commit not done within this is failed (INTERNAL to its senders) and the writer replaced. */
  commitTimeoutMs: number;
  /** Cluster mode: the Redis shared by every node (redis://host:port or a unix socket path); '' = single node. */
  redis: string;
  /** Prefix of this node's id in the cluster, for logs. */
  nodeName: string;
  /** How long a node's lease lasts without a heartbeat: its members leave and nicks free this long after it dies. */
  nodeLeaseMs: number;
  /** Entries the cluster bus keeps: a node stalled past them reloads its rooms. */
  busMaxLen: number;
  /** Messages kept per room in cluster mode (0 = all). */
  historyMax: number;
  /** Accept a Redis with appendfsync everysec, which can lose acked messages when Redis dies. */
  redisAllowEverysec: boolean;
  /** A password every guest must give in `hello` ('' = an open server); accounts log in with their own. */
  password: string;
  /** Guests may only register or log in: everything else needs an account. */
  requireAccount: boolean;
  /** Rooms where only logged-in users may speak (comma-separated names; '' = none). */
  accountRooms: string;
  /** Accounts that are server operators (comma-separated names; '' = none). */
  operators: string;
  /** PEM certificate (chain) and key files: both set, the chat ports speak TLS; both '', plain. */
  tlsCert: string;
  tlsKey: string;
  /** Comma-separated origins browsers may open a WebSocket from; '' = any. */
  allowedOrigins: string;
}

type Kind = 'string' | 'int' | 'level' | 'addresses' | 'origins' | 'bool' | 'rooms' | 'nicks';

interface OptionSpec {
  key: keyof Config;
  flag: string;
  env: string;
  kind: Kind;
  def: string | number | boolean;
  min?: number;
  max?: number;
  /** Multiplies the number the user gives (seconds to milliseconds). */
  scale?: number;
  help: string;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const OPTIONS: OptionSpec[] = [
  { key: 'host', flag: 'host', env: 'CHAT_HOST', kind: 'string', def: DEFAULT_HOST, help: 'address to listen on' },
  { key: 'port', flag: 'port', env: 'CHAT_PORT', kind: 'int', def: DEFAULT_WS_PORT, min: 0, max: 65535, help: 'WebSocket port; 0 picks a free one' },
  { key: 'tcpPort', flag: 'tcp-port', env: 'CHAT_TCP_PORT', kind: 'int', def: DEFAULT_TCP_PORT, min: 0, max: 65535, help: 'TCP port (JSON lines, or text for nc/telnet; TLS with --tls-cert); 0 picks a free one' },
  { key: 'ircPort', flag: 'irc-port', env: 'CHAT_IRC_PORT', kind: 'int', def: -1, min: -1, max: 65535, help: 'IRC port for irssi, weechat and other IRC clients (TLS with --tls-cert); -1 = off, 0 picks a free one' },
  { key: 'tlsCert', flag: 'tls-cert', env: 'CHAT_TLS_CERT', kind: 'string', def: '', help: 'PEM certificate file (chain first to last); with --tls-key the WebSocket port serves wss:// and the TCP port TLS; SIGHUP reloads both files' },
  { key: 'tlsKey', flag: 'tls-key', env: 'CHAT_TLS_KEY', kind: 'string', def: '', help: 'PEM private key file of --tls-cert (unencrypted)' },
  { key: 'allowedOrigins', flag: 'allowed-origins', env: 'CHAT_ALLOWED_ORIGINS', kind: 'origins', def: '', help: "origins browsers may open a WebSocket from, comma-separated (https://chat.example.com); others get 403; requests without Origin pass; '' = any" },
  { key: 'data', flag: 'data', env: 'CHAT_DATA', kind: 'string', def: './data', help: 'folder for the SQLite history database' },
  { key: 'logLevel', flag: 'log-level', env: 'CHAT_LOG_LEVEL', kind: 'level', def: 'info', help: LEVELS.join('|') },
  { key: 'serverName', flag: 'server-name', env: 'CHAT_SERVER_NAME', kind: 'string', def: 'chat', help: 'name sent in welcome' },
  { key: 'motd', flag: 'motd', env: 'CHAT_MOTD', kind: 'string', def: '', help: 'message of the day sent in welcome' },
  { key: 'maxConnections', flag: 'max-connections', env: 'CHAT_MAX_CONNECTIONS', kind: 'int', def: 100_000, min: 1, max: 10_000_000, help: 'connections held at once; more get SERVER_FULL' },
  { key: 'rateLimit', flag: 'rate-limit', env: 'CHAT_RATE_LIMIT', kind: 'int', def: 20, min: 0, max: 1_000_000, help: 'messages per second per connection (0 = unlimited)' },
  { key: 'rateBurst', flag: 'rate-burst', env: 'CHAT_RATE_BURST', kind: 'int', def: 40, min: 1, max: 1_000_000, help: 'messages a connection may send at once before the rate applies' },
  { key: 'abuseStrikes', flag: 'abuse-strikes', env: 'CHAT_ABUSE_STRIKES', kind: 'int', def: 20, min: 1, max: 1_000_000, help: 'rate-limit or oversize strikes (recovering 1 per 5 s) before bye + close' },
  { key: 'maxBufferedBytes', flag: 'max-buffered-bytes', env: 'CHAT_MAX_BUFFERED_BYTES', kind: 'int', def: 1024 * 1024, min: 1024, max: 1 << 30, help: 'unsent output a connection may hold for over 1 s (or 4x at once) before it is dropped as a slow consumer' },
  { key: 'pingIntervalMs', flag: 'ping-interval', env: 'CHAT_PING_INTERVAL', kind: 'int', def: 30, min: 1, max: 3600, scale: 1000, help: 'seconds between WebSocket pings; a peer silent for two is dropped' },
  { key: 'registrationTimeoutMs', flag: 'registration-timeout', env: 'CHAT_REGISTRATION_TIMEOUT', kind: 'int', def: 60, min: 1, max: 3600, scale: 1000, help: 'seconds a connection may stay without hello' },
  { key: 'maxRooms', flag: 'max-rooms', env: 'CHAT_MAX_ROOMS', kind: 'int', def: 10_000, min: 1, max: 10_000_000, help: 'rooms held at once (rooms with members, and #lobby); joining a new one past this gets TOO_MANY_ROOMS' },
  { key: 'maxRoomsPerConnection', flag: 'max-rooms-per-connection', env: 'CHAT_MAX_ROOMS_PER_CONNECTION', kind: 'int', def: 50, min: 1, max: 100_000, help: 'rooms one connection may be in; more gets TOO_MANY_ROOMS' },
  { key: 'maxRoomMembers', flag: 'max-room-members', env: 'CHAT_MAX_ROOM_MEMBERS', kind: 'int', def: 100_000, min: 1, max: 10_000_000, help: 'members one room may have; more gets ROOM_FULL' },
  { key: 'maxTopicBytes', flag: 'max-topic-bytes', env: 'CHAT_MAX_TOPIC_BYTES', kind: 'int', def: 1000, min: 1, max: 1_000_000, help: 'longest topic in UTF-8 bytes (and at most 500 characters); longer gets TEXT_INVALID' },
  { key: 'roomRate', flag: 'room-rate', env: 'CHAT_ROOM_RATE', kind: 'int', def: 256 * 1024, min: 0, max: 1 << 30, help: 'bytes of message text per second one room takes (4 s worth at once) before RATE_LIMITED; 0 = unlimited' },
  { key: 'announceLimit', flag: 'announce-limit', env: 'CHAT_ANNOUNCE_LIMIT', kind: 'int', def: 1000, min: 0, max: 10_000_000, help: 'rooms above this many members do not announce single joins/parts; joiners get a member preview' },
  { key: 'maxPerAddress', flag: 'max-per-address', env: 'CHAT_MAX_PER_ADDRESS', kind: 'int', def: 32, min: 1, max: 10_000_000, help: 'sockets one address (IPv4, or IPv6 /64) may hold; more get TOO_MANY_CONNECTIONS' },
  { key: 'maxUnregisteredPerAddress', flag: 'max-unregistered-per-address', env: 'CHAT_MAX_UNREGISTERED_PER_ADDRESS', kind: 'int', def: 8, min: 1, max: 10_000_000, help: 'sockets without a successful hello one address may hold' },
  { key: 'connectRate', flag: 'connect-rate', env: 'CHAT_CONNECT_RATE', kind: 'int', def: 10, min: 0, max: 1_000_000, help: 'new connections per second per address (0 = unlimited)' },
  { key: 'connectBurst', flag: 'connect-burst', env: 'CHAT_CONNECT_BURST', kind: 'int', def: 20, min: 1, max: 1_000_000, help: 'new connections an address may open at once before the rate applies' },
  { key: 'limitExempt', flag: 'limit-exempt', env: 'CHAT_LIMIT_EXEMPT', kind: 'addresses', def: '127.0.0.0/8,::1', help: "addresses/CIDR blocks free of the per-address limits, comma-separated ('' for none)" },
  { key: 'handshakeTimeoutMs', flag: 'handshake-timeout', env: 'CHAT_HANDSHAKE_TIMEOUT', kind: 'int', def: 10, min: 1, max: 3600, scale: 1000, help: 'seconds an HTTP request may take to arrive, and a TCP socket among others from its address may stay silent' },
  { key: 'adminHost', flag: 'admin-host', env: 'CHAT_ADMIN_HOST', kind: 'string', def: '127.0.0.1', help: 'address of the admin listener (GET /healthz, /metrics)' },
  { key: 'adminPort', flag: 'admin-port', env: 'CHAT_ADMIN_PORT', kind: 'int', def: 7880, min: 0, max: 65535, help: 'admin listener port; 0 picks a free one' },
  { key: 'redis', flag: 'redis', env: 'CHAT_REDIS', kind: 'string', def: '', help: "cluster mode: the Redis every node shares (redis://host:port or a unix socket path); '' = one node on SQLite" },
  { key: 'nodeName', flag: 'node-name', env: 'CHAT_NODE_NAME', kind: 'string', def: '', help: "cluster mode: a name this node's id starts with, for logs" },
  { key: 'nodeLeaseMs', flag: 'node-lease', env: 'CHAT_NODE_LEASE', kind: 'int', def: 10, min: 1, max: 3600, scale: 1000, help: 'cluster mode: seconds after a node dies before its members leave and its nicks are free' },
  { key: 'busMaxLen', flag: 'bus-maxlen', env: 'CHAT_BUS_MAXLEN', kind: 'int', def: 100_000, min: 100, max: 100_000_000, help: 'cluster mode: events the bus keeps; a node stalled past them reloads its rooms' },
  { key: 'historyMax', flag: 'history-max', env: 'CHAT_HISTORY_MAX', kind: 'int', def: 0, min: 0, max: 1_000_000_000, help: 'cluster mode: messages kept per room (0 = all)' },
  { key: 'redisAllowEverysec', flag: 'redis-allow-everysec', env: 'CHAT_REDIS_ALLOW_EVERYSEC', kind: 'bool', def: false, help: 'cluster mode: accept appendfsync everysec, which can lose acked messages if Redis dies' },
  { key: 'password', flag: 'password', env: 'CHAT_PASSWORD', kind: 'string', def: '', help: "a password every guest must give to connect (hello.password); accounts log in with their own; '' = open" },
  { key: 'requireAccount', flag: 'require-account', env: 'CHAT_REQUIRE_ACCOUNT', kind: 'bool', def: false, help: 'guests may only register or log in; everything else needs an account' },
  { key: 'accountRooms', flag: 'account-rooms', env: 'CHAT_ACCOUNT_ROOMS', kind: 'rooms', def: '', help: "rooms where only logged-in users may speak, comma-separated ('' = none)" },
  { key: 'operators', flag: 'operators', env: 'CHAT_OPERATORS', kind: 'nicks', def: '', help: "accounts that are server operators (kill, server bans), comma-separated ('' = none)" },
  { key: 'commitTimeoutMs', flag: 'commit-timeout', env: 'CHAT_COMMIT_TIMEOUT', kind: 'int', def: 10, min: 1, max: 600, scale: 1000, help: 'seconds a history commit may take before its messages fail with INTERNAL and the writer is replaced' },
];

export type LoadResult = { ok: true; config: Config } | { ok: false; help: string } | { ok: false; error: string };

export function usage(): string {
  const rows = OPTIONS.map((o) => `  --${o.flag.padEnd(22)} ${o.help} (env ${o.env}, default ${JSON.stringify(o.def)})`);
  return ['Usage: chat-server [options]', '', ...rows, `  --${'help'.padEnd(22)} show this help`].join('\n');
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): LoadResult {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(OPTIONS.map((o) => [o.flag, { type: o.kind === 'bool' ? 'boolean' as const : 'string' as const }]));
    values = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true }).values;
  } catch (err) {
    return { ok: false, error: `${(err as Error).message}\nRun with --help for the options.` };
  }
  if (values.help) return { ok: false, help: usage() };
  const config: Record<string, string | number | boolean> = {};
  for (const o of OPTIONS) {
    if (o.kind === 'bool') {
      const raw = values[o.flag] ?? env[o.env];
      if (typeof raw === 'string' && !['', '0', '1', 'true', 'false'].includes(raw)) return { ok: false, error: `${o.env} must be 1 or 0, got '${raw}'` };
      config[o.key] = raw === true || raw === '1' || raw === 'true';
      continue;
    }
    const given = values[o.flag] as string | undefined;
    const raw = given ?? env[o.env];
    const source = given !== undefined ? `--${o.flag}` : o.env;
    // An empty address list is a choice (no exemptions), not a missing value.
    if (raw === undefined || (raw === '' && o.kind !== 'addresses')) {
      config[o.key] = typeof o.def === 'number' ? o.def * (o.scale ?? 1) : o.def;
      continue;
    }
    if (o.kind === 'int') {
      const n = Number(raw);
      if (!/^\d+$/.test(raw.trim()) || n < (o.min ?? 0) || n > (o.max ?? Number.MAX_SAFE_INTEGER)) {
        return { ok: false, error: `${source} must be a whole number from ${o.min} to ${o.max}, got '${raw}'` };
      }
      config[o.key] = n * (o.scale ?? 1);
    } else if (o.kind === 'level' && !LEVELS.includes(raw)) {
      return { ok: false, error: `${source} must be one of ${LEVELS.join(', ')}, got '${raw}'` };
    } else if (o.kind === 'nicks') {
      const names = raw.split(',').map((n) => n.trim()).filter((n) => n !== '');
      const wrong = names.find((n) => !isValidNick(n));
      if (wrong !== undefined) return { ok: false, error: `${source}: '${wrong}' is not a nick` };
      config[o.key] = names.join(',');
    } else if (o.kind === 'rooms') {
      const rooms = parseRoomList(raw);
      if (typeof rooms === 'string') return { ok: false, error: `${source}: ${rooms}` };
      config[o.key] = rooms.join(',');
    } else if (o.kind === 'origins') {
      const list = parseOrigins(raw);
      if (!list.ok) return { ok: false, error: `${source}: ${list.error}` };
      config[o.key] = raw;
    } else if (o.kind === 'addresses') {
      const list = parseAddressList(raw);
      if (!list.ok) return { ok: false, error: `${source}: ${list.error}` };
      config[o.key] = raw;
    } else {
      config[o.key] = raw;
    }
  }
  if (Boolean(config.tlsCert) !== Boolean(config.tlsKey)) {
    return { ok: false, error: `TLS needs both --tls-cert and --tls-key (CHAT_TLS_CERT, CHAT_TLS_KEY); only ${config.tlsCert ? '--tls-cert' : '--tls-key'} is set` };
  }
  return { ok: true, config: config as unknown as Config };
}

/** `#a, b,#c` as room names (`#a`, `#b`, `#c`), or what is wrong with it. */
export function parseRoomList(text: string): string[] | string {
  const rooms: string[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const name = normalizeRoom(item);
    if (!name) return `'${item}' is not a room name (# and 1-32 of A-Z a-z 0-9 _ -)`;
    rooms.push(name);
  }
  return rooms;
}
