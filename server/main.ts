#!/usr/bin/env -S node --max-semi-space-size=8
/**
 * chat-server: reads the config, starts the server, and stops it cleanly on SIGTERM/SIGINT. With TLS,
 * SIGHUP reloads the certificate and key.
 * `chat-server import-history ...` instead moves a single node's history into Redis (import-history.ts).
 */
import { startChatServer, StartupError } from './app.js';
import { loadConfig } from './config.js';
import { createLogger } from './log.js';

const SHUTDOWN_DEADLINE_MS = 4500;

if (process.argv[2] === 'import-history') {
  const { importHistoryCommand } = await import('./import-history.js');
  process.exit(await importHistoryCommand(process.argv.slice(3), process.env));
}

const loaded = loadConfig(process.argv.slice(2), process.env);
if (!loaded.ok) {
  if ('help' in loaded) {
    console.log(loaded.help);
    process.exit(0);
  }
  console.error(`chat-server: ${loaded.error}`);
  process.exit(2);
}
const config = loaded.config;
const log = createLogger(config.logLevel);

try {
  const server = await startChatServer(config, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    // Draining that does not finish in time (a hung disk, say) may have left messages unstored: say so.
    setTimeout(() => {
      log.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown deadline passed before draining finished');
      log.flush();
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    server.stop('shutdown').then(
      () => { log.flush(); process.exit(0); },
      (err: unknown) => { log.error({ err }, 'shutdown failed'); process.exit(1); },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Only with TLS: without it, SIGHUP keeps its default (a closed terminal stops a foreground server).
  // reloadTls logs the outcome; a bad file keeps the certificate in use.
  if (server.tls) process.on('SIGHUP', () => void server.reloadTls().catch(() => {}));
  // Only now: whoever reads this line may signal us at once, and must not meet the default handler.
  const [ws, tcp] = server.tls ? ['wss', 'tls'] : ['ws', 'tcp'];
  console.log(`chat-server listening ${ws}://${config.host}:${server.wsPort}/ ${tcp}://${config.host}:${server.tcpPort}`
    + ` admin=http://${config.adminHost}:${server.adminPort}/`
    + (server.ircPort === null ? '' : ` ${server.tls ? 'ircs' : 'irc'}://${config.host}:${server.ircPort}/`)
    + ` ${config.redis ? `redis=${config.redis} node=${server.node}` : `data=${config.data}`}`);
} catch (err) {
  console.error(`chat-server: ${err instanceof StartupError ? err.message : String(err)}`);
  process.exit(1);
}
