/**
 * The real server started inside the test process, from the build (dist/): its history writer is a
 * worker thread that runs compiled JavaScript, so the source cannot be started directly. Gives tests the
 * fault hooks (killing the writer) and every log record. `npm test` builds first, so dist/ is current.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { makeTempDir, ROOT } from './server.js';

type AppModule = typeof import('../../server/app.js');
type ConfigModule = typeof import('../../server/config.js');
type StoreModule = typeof import('../../server/store/history-store.js');
type WriterModule = typeof import('../../server/store/history-writer.js');

export type ChatServer = import('../../server/app.js').ChatServer;
export type InternalOptions = import('../../server/app.js').InternalOptions;

export function fromDist<T>(file: string): Promise<T> {
  return import(pathToFileURL(path.join(ROOT, 'dist', file)).href) as Promise<T>;
}

export const app = (): Promise<AppModule> => fromDist<AppModule>('server/app.js');
export const historyStore = (): Promise<StoreModule> => fromDist<StoreModule>('server/store/history-store.js');
export const historyWriter = (): Promise<WriterModule> => fromDist<WriterModule>('server/store/history-writer.js');

export interface LogRecord {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A pino logger that keeps every record (info and up) in `records`. */
export function capturingLogger(): { log: import('pino').Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => { records.push(JSON.parse(line) as LogRecord); } });
  return { log, records };
}

export interface InProcessServer {
  server: ChatServer;
  dataDir: string;
  wsUrl: string;
  tcpPort: number;
  logs: LogRecord[];
  /** GET on the admin listener. */
  admin(p: string): Promise<Response>;
}

/** Starts the server in this process on ephemeral loopback ports; `args` are chat-server flags. */
export async function startInProcess(
  opts: { dataDir?: string; args?: string[]; internal?: InternalOptions } = {},
): Promise<InProcessServer> {
  const dataDir = opts.dataDir ?? makeTempDir();
  const { loadConfig } = await fromDist<ConfigModule>('server/config.js');
  const loaded = loadConfig([
    '--host', '127.0.0.1', '--port', '0', '--tcp-port', '0', '--admin-port', '0', '--data', dataDir, ...(opts.args ?? []),
  ], {});
  if (!loaded.ok) throw new Error(`bad flags: ${JSON.stringify(loaded)}`);
  const { log, records } = capturingLogger();
  const server = await (await app()).startChatServer(loaded.config, log, opts.internal);
  return {
    server, dataDir, logs: records,
    wsUrl: `ws://127.0.0.1:${server.wsPort}`,
    tcpPort: server.tcpPort,
    admin: (p) => fetch(`http://127.0.0.1:${server.adminPort}${p}`),
  };
}
