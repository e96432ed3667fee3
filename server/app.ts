/** Wires the store, hub, dispatcher and transports into one running server. */
import type { AddressInfo } from 'node:net';
import type { Server as NetServer, Socket } from 'node:net';
import { Admission } from './admission.js';
import { StallWatch, type Clock } from './clock.js';
import type { Config } from './config.js';
import { Dispatcher } from './dispatch.js';
import { openLocalEngine } from './engine/open-local.js';
import type { OpenedEngine } from './engine/opened.js';
import type { ThrottleLimits } from './accounts/login-throttle.js';
import { Hub } from './hub.js';
import type { Logger } from './log.js';
import { addEngineGauges, createMetrics } from './metrics.js';
import { readOpenFilesLimit, socketBudget } from './open-files.js';
import { createAdminServer } from './transports/admin-http.js';
import { guardHttpServer } from './transports/admission-gate.js';
import { createHttpServer, httpsListener } from './transports/http.js';
import { parseOrigins } from './transports/origins.js';
import { CLOSE_GRACE_MS, releaseWrites } from './transports/socket-peer.js';
import { createTcpServer } from './transports/tcp.js';
import { createIrcServer } from './transports/irc.js';
import { ircSettings } from './irc/irc-settings.js';
import { loadCertificate, TlsTerminator, type CertificateInfo, type LoadedCertificate } from './transports/tls.js';
import { attachWebSocket } from './transports/ws.js';

const LISTEN_BACKLOG = 4096;

export interface ChatServer {
  wsPort: number;
  tcpPort: number;
  /** The IRC listener's port, or null when --irc-port is off. */
  ircPort: number | null;
  adminPort: number;
  /** This node's id in the cluster ('local' on a single node). */
  node: string;
  /** The certificate the chat ports serve, or null without TLS. */
  readonly tls: CertificateInfo | null;
  /**
   * Reads --tls-cert and --tls-key again (what SIGHUP does): new handshakes use them, connections already
   * up are not touched. A bad file keeps the certificate in use and rejects, as does a server without TLS.
   */
  reloadTls(): Promise<CertificateInfo>;
  /** Fault injection for tests; production never calls these. */
  faults: {
    /** Ends the history writer's thread as a crash would; resolves once the server has seen it die. */
    killHistoryWriter(): Promise<void>;
    /** The same for the history reader's thread. */
    killHistoryReader(): Promise<void>;
    /** The history reader's thread blocks for `ms` at its next message, as on a hung disk. */
    hangHistoryReader(ms: number): void;
  };
  /** Stops accepting, sends `bye` to everyone, commits history and closes the store. */
  stop(reason?: string): Promise<void>;
}

/** Knobs for tests only; `chat-server` never sets them. */
export interface InternalOptions {
  /** The history writer's first restart delay (it doubles up to 5 s); 100 ms by default. */
  writerRestartMinMs?: number;
  /** The same for the history reader. */
  readerRestartMinMs?: number;
  /** The login throttle's limits: a test that counts refusals must not see a token refill meanwhile. */
  loginThrottle?: ThrottleLimits;
  /** The clock of the flood and room-rate buckets: a test that counts delays and refusals stops time. */
  rateClock?: Clock;
}

export class StartupError extends Error {}

export async function startChatServer(config: Config, log: Logger, internal: InternalOptions = {}): Promise<ChatServer> {
  const origins = parseOrigins(config.allowedOrigins);
  if (!origins.ok) throw new StartupError(`--allowed-origins: ${origins.error}`);
  const irc = config.ircPort >= 0 ? ircSettings(config) : null;
  if (irc && !irc.ok) throw new StartupError(irc.error);
  let certificate: LoadedCertificate | undefined;
  if (config.tlsCert || config.tlsKey) {
    try {
      certificate = await loadCertificate(config.tlsCert, config.tlsKey);
    } catch (err) {
      throw new StartupError((err as Error).message);
    }
  }
  let opened: OpenedEngine;
  try {
    opened = await openEngine(config, log, internal);
  } catch (err) {
    throw new StartupError((err as Error).message);
  }
  const engine = opened.engine;
  // Sockets that never register (silent TCP, HTTP without an upgrade) hold no session, so the hub's
  // SERVER_FULL never sees them: admission caps all sockets together, below the open-files limit.
  const openFilesLimit = readOpenFilesLimit();
  const budget = socketBudget(config.maxConnections, openFilesLimit);
  if (budget.clamped) {
    log.warn({ openFilesLimit, socketCap: budget.socketCap, maxConnections: budget.maxConnections },
      `the open-files limit (${openFilesLimit}) leaves room for ${budget.socketCap} client sockets: `
      + `--max-connections ${config.maxConnections} clamped to ${budget.maxConnections}`);
  }
  const admission = new Admission({
    maxSockets: budget.socketCap,
    maxPerAddress: config.maxPerAddress,
    maxUnregisteredPerAddress: config.maxUnregisteredPerAddress,
    connectRate: config.connectRate,
    connectBurst: config.connectBurst,
    exempt: config.limitExempt,
  });
  let hub: Hub | null = null;
  const metrics = createMetrics({
    connections: () => hub?.sessions.size ?? 0,
    rooms: () => hub?.roomCount ?? 0,
    historyWritable: () => (engine.health().ok ? 1 : 0),
  });
  if (opened.stats) addEngineGauges(metrics.registry, opened.stats);
  const stalls = new StallWatch();
  const hubConfig = { ...config, maxConnections: budget.maxConnections, loginThrottle: internal.loginThrottle, rateClock: internal.rateClock };
  hub = new Hub(hubConfig, engine, metrics, log, stalls, (address) => admission.isExempt(address));
  hub.commits.afterFlush = releaseWrites;
  hub.onBans = (list) => admission.setBans(list);
  try {
    await hub.start();
  } catch (err) {
    await engine.stop().catch(() => {});
    await opened.close();
    throw new StartupError((err as Error).message);
  }
  const dispatcher = new Dispatcher(hub, metrics, log);
  const host = { hub, dispatcher, metrics, maxBufferedBytes: config.maxBufferedBytes, maxQueuedInput: config.rateBurst };

  const terminator = certificate && new TlsTerminator({ certFile: config.tlsCert, keyFile: config.tlsKey, handshakeTimeoutMs: config.handshakeTimeoutMs, log, metrics }, certificate);

  const httpServer = createHttpServer();
  const adminServer = createAdminServer({
    registry: metrics.registry,
    health: () => {
      const { ok, problems, detail } = engine.health();
      return {
        ok,
        body: { status: ok ? 'ok' : 'unavailable', problems, connections: hub.sessions.size, rooms: hub.roomCount, [engine.shared ? 'cluster' : 'store']: detail },
      };
    },
  });
  // Over TLS the HTTP server does not listen: the TLS listener admits sockets and hands it the secured ones.
  const wsServer = terminator ? httpsListener(httpServer, terminator, admission) : httpServer;
  if (!terminator) guardHttpServer(httpServer, admission, metrics, config.handshakeTimeoutMs);
  const ws = attachWebSocket(httpServer, { host, log, pingIntervalMs: config.pingIntervalMs, allowedOrigins: origins.origins });
  const tcp = createTcpServer({
    host, log, serverName: config.serverName, registrationTimeoutMs: config.registrationTimeoutMs,
    admission, metrics, handshakeTimeoutMs: config.handshakeTimeoutMs, tls: terminator,
  });
  const tcpServer = tcp.server;
  const ircServer = irc?.ok ? createIrcServer({ host, log, admission, metrics, settings: irc.settings, tls: terminator }) : null;
  // Every client socket, upgraded or not, so shutdown can wait for the byes to be flushed.
  const sockets = new Set<Socket>();
  // One listener shared by every socket: a closure (and a `once` wrapper) each cost ~200 bytes apiece.
  function untrack(this: Socket): void {
    sockets.delete(this);
  }
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', untrack);
  };
  wsServer.on('connection', track);
  tcpServer.on('connection', track);
  ircServer?.on('connection', track);
  try {
    await listen(wsServer, config.port, config.host);
    await listen(tcpServer, config.tcpPort, config.host);
    if (ircServer) await listen(ircServer, config.ircPort, config.host);
  } catch (err) {
    await closeAll();
    throw new StartupError(`cannot listen on ${config.host}: ${(err as Error).message}`);
  }
  try {
    await listen(adminServer, config.adminPort, config.adminHost);
  } catch (err) {
    await closeAll();
    throw new StartupError(`cannot listen on ${config.adminHost} (admin): ${(err as Error).message}`);
  }

  async function closeAll(): Promise<void> {
    wsServer.close();
    tcpServer.close();
    ircServer?.close();
    adminServer.close();
    await engine.stop();
    await opened.close();
  }

  let stopping: Promise<void> | null = null;
  return {
    wsPort: (wsServer.address() as AddressInfo).port,
    tcpPort: (tcpServer.address() as AddressInfo).port,
    ircPort: ircServer ? (ircServer.address() as AddressInfo).port : null,
    adminPort: (adminServer.address() as AddressInfo).port,
    get node() { return engine.node; },
    get tls() { return terminator?.certificate ?? null; },
    reloadTls: () => terminator?.reload() ?? Promise.reject(new Error('TLS is off: start with --tls-cert and --tls-key')),
    faults: {
      killHistoryWriter: () => (opened.killHistoryWriter ?? (() => Promise.reject(new Error('no history writer in cluster mode'))))(),
      killHistoryReader: () => (opened.killHistoryReader ?? (() => Promise.reject(new Error('no history reader in cluster mode'))))(),
      hangHistoryReader: (ms) => opened.hangHistoryReader?.(ms),
    },
    stop(reason = 'shutdown') {
      stopping ??= (async () => {
        ws.close();
        wsServer.close();
        httpServer.close();
        tcpServer.close();
        ircServer?.close();
        adminServer.close();
        adminServer.closeAllConnections();
        tcp.dismissUndecided(reason);
        // Sockets still in their handshake cannot hear a bye.
        terminator?.dropPending();
        // Messages already said are committed (or failed) and delivered before everyone gets bye.
        await hub.shutdown(reason);
        await engine.stop();
        await opened.close();
        httpServer.closeAllConnections();
        // Give the byes a moment to leave; sockets that will not take them are cut.
        await waitUntil(() => sockets.size === 0, CLOSE_GRACE_MS);
        stalls.stop();
      })();
      return stopping;
    },
  };
}

/** Cluster mode with --redis, else the single node on SQLite (which never loads the Redis client). */
async function openEngine(config: Config, log: Logger, internal: InternalOptions): Promise<OpenedEngine> {
  if (!config.redis) return openLocalEngine({ data: config.data, commitTimeoutMs: config.commitTimeoutMs, ...internal }, log);
  const { openRedisEngine } = await import('./engine/open-redis.js');
  return openRedisEngine(config, log);
}

function listen(server: NetServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // A deep accept queue: thousands of clients reconnecting at once must queue, not be reset.
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function waitUntil(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
