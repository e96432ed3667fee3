/**
 * The history reader's thread: answers room loads and history pages on its own read-only connection to
 * the WAL database, so a read that touches the disk (a deep page, a cold room) never blocks the event
 * loop that serves the sockets. Says `ready` once the database is open, then answers every request in
 * the order it came, with its id.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { ReaderControl, ReaderMessage, ReaderSetup, ReadRequest } from './history-reader.js';
import { HistoryReads } from './history-reads.js';

const { file, busyTimeoutMs } = workerData as ReaderSetup;
const port = parentPort!;
const db = new Database(file, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
const reads = new HistoryReads(db);

function answer(request: ReadRequest): ReaderMessage {
  try {
    switch (request.op) {
      case 'room': return { id: request.id, ok: true, result: reads.room(request.roomKey, request.name, request.upTo) };
      case 'lastSeq': return { id: request.id, ok: true, result: reads.lastSeq(request.roomKey) };
      case 'page': return { id: request.id, ok: true, result: reads.page(request.roomKey, request.name, request.before, request.limit) };
      case 'pageAfter': return { id: request.id, ok: true, result: reads.pageAfter(request.roomKey, request.name, request.after, request.before, request.limit) };
      case 'locate': return { id: request.id, ok: true, result: reads.locate(request.roomKey, request.anchor) };
      case 'records': return { id: request.id, ok: true, result: reads.records(request.kind, request.prefix) };
      case 'search': {
        const { roomKey, name, words, before, limit } = request;
        return { id: request.id, ok: true, result: reads.search(roomKey, name, words, before, limit) };
      }
    }
  } catch (err) {
    return { id: request.id, ok: false, error: (err as Error).message };
  }
}

port.on('message', (request: ReadRequest | ReaderControl) => {
  if (request === 'close') {
    db.close();
    port.close();
    return;
  }
  // Fault injection for tests: a read that does not come back (a hung disk, say).
  if ('hangMs' in request) return void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, request.hangMs);
  port.postMessage(answer(request));
});
port.postMessage({ ready: true } satisfies ReaderMessage);
