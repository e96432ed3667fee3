/**
 * Durable room history in SQLite (WAL). Knows SQLite and nothing of the hub: it creates the schema,
 * pages messages and keeps topics by room key. Messages are appended by HistoryWriter, on its own
 * thread and connection.
 *
 * Opening refuses a folder it cannot write (a real write, not just an open: SQLite opens a database
 * it may not write read-only without a word) and a database that is not the one the folder held
 * (see history-id.ts).
 */
import Database from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ChatMessage } from '../../shared/protocol.js';
import { REPLY_MAX_BYTES } from '../../shared/limits.js';
import { messageBytes } from '../reply-size.js';
import { DATABASE_GONE, DatabaseFile, identify, StoreOpenError } from './database-file.js';
import { checkHistoryId, newHistoryId } from './history-id.js';

/** What the write-ahead log held when the database was opened. */
export interface WalState {
  /** Size of chat.db-wal before opening (0 when there was none). */
  bytes: number;
  /** Valid frames in it, and how many of them the opening checkpoint copied into chat.db. */
  frames: number;
  checkpointed: number;
}

export interface StoredMessage extends ChatMessage {
  /** The room's case-folded key; `room` keeps the display name. */
  roomKey: string;
}

export interface RoomRecord {
  lastSeq: number;
  topic: string;
}

interface MessageRow { seq: number; id: string; sender: string; text: string; ts: number; action: number }

const SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  room_key TEXT NOT NULL,
  seq INTEGER NOT NULL,
  id TEXT NOT NULL,
  sender TEXT NOT NULL,
  text TEXT NOT NULL,
  ts INTEGER NOT NULL,
  action INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (room_key, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rooms (
  room_key TEXT PRIMARY KEY,
  topic TEXT NOT NULL DEFAULT '',
  topic_by TEXT,
  topic_ts INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;

/** SQLite errors that mean the folder or disk cannot take writes (as opposed to a damaged database). */
const WRITE_ERRORS = /^SQLITE_(READONLY|CANTOPEN|FULL|IOERR|PERM|AUTH)/;

export class HistoryStore {
  private readonly db!: Database.Database;
  private readonly selectPage: Database.Statement<[string, number, number], MessageRow>;
  private readonly selectLastSeq: Database.Statement<[string], { seq: number | null }>;
  private readonly selectTopic: Database.Statement<[string], { topic: string }>;
  private readonly upsertTopic: Database.Statement;

  readonly file: string;
  /** The files opened, to notice when they are deleted or replaced. */
  readonly database: DatabaseFile;
  readonly wal: WalState;
  readonly historyId: string;

  /** Opens (creating if needed) `dir/chat.db`; throws a StoreOpenError whose message says what is wrong. */
  constructor(dir: string, options: { busyTimeoutMs?: number } = {}) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new StoreOpenError(`cannot use data folder '${dir}': ${(err as Error).message}`);
    }
    this.file = path.join(dir, 'chat.db');
    const history = checkHistoryId(dir, this.file);
    const walBytes = sizeOf(`${this.file}-wal`);
    try {
      this.db = new Database(this.file, { timeout: options.busyTimeoutMs ?? 100 });
      this.db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode survives a process crash (SIGKILL); only an OS crash can lose the last commits.
      this.db.pragma('synchronous = NORMAL');
      const [checkpoint] = this.db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number; checkpointed: number }>;
      this.wal = { bytes: walBytes, frames: Math.max(0, checkpoint?.log ?? 0), checkpointed: Math.max(0, checkpoint?.checkpointed ?? 0) };
      this.db.exec(SCHEMA);
      // The write probe: a real commit, so that a read-only folder or file stops the start.
      this.setMeta('opened_at', new Date().toISOString());
      this.historyId = history.confirm(this.getMeta('history_id'), (id) => this.setMeta('history_id', id), newHistoryId);
    } catch (err) {
      if (this.db?.open) this.db.close();
      if (err instanceof StoreOpenError) throw err;
      const code = (err as { code?: unknown }).code;
      const verb = typeof code === 'string' && WRITE_ERRORS.test(code) ? 'write' : 'use';
      throw new StoreOpenError(`cannot ${verb} data folder '${dir}': ${(err as Error).message}`);
    }
    this.database = new DatabaseFile(identify([this.file, `${this.file}-wal`, `${this.file}-shm`]));
    this.selectPage = this.db.prepare(
      'SELECT seq, id, sender, text, ts, action FROM messages WHERE room_key = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
    );
    this.selectLastSeq = this.db.prepare('SELECT MAX(seq) AS seq FROM messages WHERE room_key = ?');
    this.selectTopic = this.db.prepare('SELECT topic FROM rooms WHERE room_key = ?');
    this.upsertTopic = this.db.prepare(
      `INSERT INTO rooms (room_key, topic, topic_by, topic_ts) VALUES (?, ?, ?, ?)
       ON CONFLICT (room_key) DO UPDATE SET topic = excluded.topic, topic_by = excluded.topic_by, topic_ts = excluded.topic_ts`,
    );
  }

  loadRoom(roomKey: string): RoomRecord {
    return {
      lastSeq: this.selectLastSeq.get(roomKey)?.seq ?? 0,
      topic: this.selectTopic.get(roomKey)?.topic ?? '',
    };
  }

  /**
   * Up to `limit` messages older than `before` that fit in a reply (see fitNewest), oldest first, and
   * whether older ones remain.
   */
  page(roomKey: string, roomName: string, before: number, limit: number): { messages: ChatMessage[]; more: boolean } {
    // Rows are read one at a time and no further than the page reaches (the same cut as fitNewest):
    // reading all `limit` maximal messages to send a tenth of them cost many times what is charged.
    const newestFirst: ChatMessage[] = [];
    let bytes = 0;
    let more = false;
    for (const r of this.selectPage.iterate(roomKey, before, limit + 1)) {
      const m: ChatMessage = { room: roomName, id: r.id, seq: r.seq, from: r.sender, text: r.text, ts: r.ts };
      if (r.action) m.action = true;
      bytes += messageBytes(m);
      if (newestFirst.length === limit || (bytes > REPLY_MAX_BYTES && newestFirst.length > 0)) {
        more = true;
        break;
      }
      newestFirst.push(m);
    }
    return { messages: newestFirst.reverse(), more };
  }

  setTopic(roomKey: string, topic: string, by: string, ts: number): void {
    if (this.database.problem) throw new Error(DATABASE_GONE);
    this.upsertTopic.run(roomKey, topic, by, ts);
  }

  private getMeta(key: string): string | null {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value ?? null;
  }

  private setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
