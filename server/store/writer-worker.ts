/**
 * The history writer's thread: commits each batch of messages it is sent in one SQLite transaction,
 * on its own connection to the WAL database, so a commit never blocks the event loop that serves
 * the sockets. Answers every batch with its id and whether it was stored.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { WriterReply, WriterRequest } from './history-writer.js';

const { file, busyTimeoutMs } = workerData as { file: string; busyTimeoutMs: number };
const db = new Database(file, { timeout: busyTimeoutMs });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
const insert = db.prepare(
  'INSERT INTO messages (room_key, seq, id, sender, text, ts, action) VALUES (?, ?, ?, ?, ?, ?, ?)',
);
const insertAll = db.transaction((rows: WriterRequest['rows']) => {
  for (const row of rows) insert.run(row);
});

parentPort!.on('message', (request: WriterRequest | 'close') => {
  if (request === 'close') {
    db.close();
    parentPort!.close();
    return;
  }
  const started = process.hrtime.bigint();
  let reply: WriterReply;
  try {
    insertAll(request.rows);
    reply = { id: request.id, ok: true, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } catch (err) {
    reply = { id: request.id, ok: false, error: (err as Error).message, seconds: 0 };
  }
  parentPort!.postMessage(reply);
});
