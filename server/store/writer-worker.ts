/**
 * The history writer's thread: commits each batch of messages (or a topic) it is sent in one SQLite transaction,
 * on its own connection to the WAL database, so a commit never blocks the event loop that serves
 * the sockets. Says `ready` once the database is open (and the rows of batches that failed with their
 * outcome unknown are deleted), then answers every batch with its id and whether it was stored.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { checkSync, type FileIdentity } from './database-file.js';
import type { WriterMessage, WriterRequest, WriterSetup } from './history-writer.js';
import { SearchIndexWriter } from './search-index.js';

const { file, busyTimeoutMs, files, undo } = workerData as WriterSetup;
const port = parentPort!;
// The main thread created the file; a missing one was deleted, and must not be silently recreated.
const db = new Database(file, { timeout: busyTimeoutMs, fileMustExist: true });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
const insert = db.prepare(
  'INSERT INTO messages (room_key, seq, id, sender, text, ts, action, account) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
);
const upsertTopic = db.prepare(
  `INSERT INTO rooms (room_key, topic, topic_by, topic_ts) VALUES (?, ?, ?, ?)
   ON CONFLICT (room_key) DO UPDATE SET topic = excluded.topic, topic_by = excluded.topic_by, topic_ts = excluded.topic_ts`,
);
const putState = db.prepare(
  `INSERT INTO registry (kind, key, value) VALUES (?, ?, ?)
   ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value`,
);
const deleteState = db.prepare('DELETE FROM registry WHERE kind = ? AND key = ?');
const searchIndex = new SearchIndexWriter(db);
const insertAll = db.transaction((request: WriterRequest) => {
  for (const row of request.rows) insert.run(row);
  searchIndex.add(request.rows.map(([roomKey, seq, , , text]) => ({ roomKey, seq, text })));
  if (request.topic) upsertTopic.run(request.topic);
  for (const [kind, key, value] of request.state ?? []) {
    if (value === null) deleteState.run(kind, key);
    else putState.run(kind, key, value);
  }
});

// Batches whose senders were told they failed, by a worker that ended mid-commit: none may stay stored.
// A failure here ends this worker, and the next one tries again. Their words stay in the search index,
// which shows only rows still stored (see search-index.ts).
if (undo.length > 0) {
  const remove = db.prepare('DELETE FROM messages WHERE room_key = ? AND seq = ? AND id = ?');
  db.transaction(() => {
    for (const key of undo) remove.run(key);
  })();
}

function send(message: WriterMessage): void {
  port.postMessage(message);
}

function commit(request: WriterRequest, identities: FileIdentity[]): WriterMessage {
  const started = process.hrtime.bigint();
  try {
    // Committing into a file that was deleted or replaced would ack messages nobody can read again.
    const gone = checkSync(identities);
    if (gone) return { id: request.id, ok: false, error: gone, gone: true, seconds: 0 };
    insertAll(request);
    return { id: request.id, ok: true, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } catch (err) {
    return { id: request.id, ok: false, error: (err as Error).message, seconds: 0 };
  }
}

port.on('message', (request: WriterRequest | 'close') => {
  if (request === 'close') {
    db.close();
    port.close();
    return;
  }
  send(commit(request, files));
});
send({ ready: true });
