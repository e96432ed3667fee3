/**
 * Durable room history in SQLite (WAL). Knows SQLite and nothing of the hub: it creates the schema,
 * pages messages and keeps topics by room key. Messages are appended by HistoryWriter, on its own
 * thread and connection.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ChatMessage } from '../../shared/protocol.js';
import { fitNewest } from '../reply-size.js';

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
`;

export class HistoryStore {
  private readonly db: Database.Database;
  private readonly selectPage: Database.Statement<[string, number, number], MessageRow>;
  private readonly selectLastSeq: Database.Statement<[string], { seq: number | null }>;
  private readonly selectTopic: Database.Statement<[string], { topic: string }>;
  private readonly upsertTopic: Database.Statement;

  /** Opens (creating if needed) `dir/chat.db`; throws an Error whose message says what is wrong. */
  constructor(dir: string, options: { busyTimeoutMs?: number } = {}) {
    mkdirSync(dir, { recursive: true });
    this.db = new Database(path.join(dir, 'chat.db'), { timeout: options.busyTimeoutMs ?? 100 });
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a process crash (SIGKILL); only an OS crash can lose the last commits.
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
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
    const rows = this.selectPage.all(roomKey, before, limit + 1);
    const newestFirst = rows.map((r) => {
      const m: ChatMessage = { room: roomName, id: r.id, seq: r.seq, from: r.sender, text: r.text, ts: r.ts };
      if (r.action) m.action = true;
      return m;
    });
    const fit = fitNewest(newestFirst.length, (i) => newestFirst[i]!, limit);
    return { messages: newestFirst.slice(0, fit).reverse(), more: rows.length > fit };
  }

  setTopic(roomKey: string, topic: string, by: string, ts: number): void {
    this.upsertTopic.run(roomKey, topic, by, ts);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
