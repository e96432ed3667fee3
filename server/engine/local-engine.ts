/**
 * The single-process engine: history in SQLite (appended by the supervised writer thread), nicks and
 * seqs in memory. Events are emitted in process: a message's once its batch is committed, the others
 * at once, so a request's event has been applied when its promise settles.
 */
import type { RoomInfo } from '../../shared/protocol.js';
import { caseFold } from '../../shared/validate.js';
import type { DatabaseFile } from '../store/database-file.js';
import type { HistoryStore, StoredMessage } from '../store/history-store.js';
import { CommitError, type HistoryWriter } from '../store/history-writer.js';
import { storeReport } from '../store/store-health.js';
import {
  EngineError, type DirectMessage, type DmOutcome, type Engine, type EngineHealth, type EngineSink,
  type HistoryPage, type MemberRef, type NewMessage, type RoomSnapshot,
} from './engine.js';
import { HISTORY_PAGE_MAX } from '../../shared/limits.js';

/** A room's seqs: kept while the room is served or has messages being committed. */
interface RoomSeq {
  /** The last seq handed out. */
  handed: number;
  /** The last seq whose message was emitted (committed). */
  emitted: number;
  inFlight: number;
  served: boolean;
}

export class LocalEngine implements Engine {
  readonly node = 'local';
  readonly shared = false;
  /** The writer thread fails every batch at once while it is down: nothing waits behind one. */
  readonly reachable = true;
  private sink!: EngineSink;
  private readonly seqs = new Map<string, RoomSeq>();
  /** Folded nick → the session holding it. */
  private readonly nicks = new Map<string, string>();

  constructor(
    private readonly store: HistoryStore,
    private readonly writer: HistoryWriter,
    private readonly database: DatabaseFile,
  ) {}

  async start(sink: EngineSink): Promise<void> {
    this.sink = sink;
  }

  append(batch: NewMessage[]): Promise<void> {
    const ts = Date.now();
    const rows: StoredMessage[] = [];
    for (const m of batch) {
      const seqs = this.seqsOf(m.roomKey);
      seqs.inFlight++;
      const row: StoredMessage = { roomKey: m.roomKey, room: m.room, id: m.id, seq: ++seqs.handed, from: m.from, text: m.text, ts };
      if (m.action) row.action = true;
      rows.push(row);
    }
    return this.writer.append(rows).then(
      () => {
        for (const { roomKey, ...message } of rows) {
          const seqs = this.settle(roomKey);
          if (message.seq > seqs.emitted) seqs.emitted = message.seq;
          this.sink.apply({ kind: 'msg', roomKey, message });
        }
      },
      (err: unknown) => {
        for (const row of rows) this.settle(row.roomKey);
        throw err instanceof CommitError ? new EngineError(err.message) : err;
      },
    );
  }

  private seqsOf(roomKey: string): RoomSeq {
    let seqs = this.seqs.get(roomKey);
    if (!seqs) {
      const { lastSeq } = this.store.loadRoom(roomKey);
      seqs = { handed: lastSeq, emitted: lastSeq, inFlight: 0, served: false };
      this.seqs.set(roomKey, seqs);
    }
    return seqs;
  }

  private settle(roomKey: string): RoomSeq {
    const seqs = this.seqs.get(roomKey)!;
    seqs.inFlight--;
    // A failed seq is never handed out again: seqs only grow, so a client's position stays valid.
    if (seqs.inFlight === 0 && !seqs.served) this.seqs.delete(roomKey);
    return seqs;
  }

  async claimNick(nick: string, sid: string): Promise<boolean> {
    const fold = caseFold(nick);
    const holder = this.nicks.get(fold);
    if (holder !== undefined && holder !== sid) return false;
    this.nicks.set(fold, sid);
    return true;
  }

  async releaseNick(nick: string, sid: string): Promise<void> {
    const fold = caseFold(nick);
    if (this.nicks.get(fold) === sid) this.nicks.delete(fold);
  }

  async rename(member: MemberRef, old: string, roomKeys: string[]): Promise<boolean> {
    if (!(await this.claimNick(member.nick, member.sid))) return false;
    if (caseFold(old) !== caseFold(member.nick)) await this.releaseNick(old, member.sid);
    this.sink.apply({ kind: 'nick', member, old, rooms: roomKeys });
    return true;
  }

  async openRoom(roomKey: string, name: string): Promise<RoomSnapshot> {
    const seqs = this.seqsOf(roomKey);
    seqs.served = true;
    const { topic } = this.store.loadRoom(roomKey);
    // Up to what was emitted: a batch the writer has committed but not yet reported arrives as events.
    const recent = this.store.page(roomKey, name, seqs.emitted + 1, HISTORY_PAGE_MAX);
    return { key: roomKey, name, seq: seqs.emitted, topic, members: [], recent };
  }

  closeRoom(roomKey: string): void {
    const seqs = this.seqs.get(roomKey);
    if (!seqs) return;
    seqs.served = false;
    if (seqs.inFlight === 0) this.seqs.delete(roomKey);
  }

  async join(roomKey: string, name: string, member: MemberRef): Promise<void> {
    this.sink.apply({ kind: 'join', roomKey, room: name, member, seq: this.seqsOf(roomKey).emitted, ts: Date.now() });
  }

  async part(roomKey: string, name: string, member: MemberRef, reason?: string): Promise<void> {
    this.sink.apply(reason === undefined
      ? { kind: 'part', roomKey, room: name, member }
      : { kind: 'part', roomKey, room: name, member, reason });
  }

  async setTopic(roomKey: string, name: string, topic: string, by: string): Promise<void> {
    const ts = Date.now();
    this.store.setTopic(roomKey, topic, by, ts);
    this.sink.apply({ kind: 'topic', roomKey, room: name, topic, by, ts });
  }

  page(roomKey: string, name: string, before: number, limit: number): HistoryPage {
    return this.store.page(roomKey, name, before, limit);
  }

  roomDirectory(): Promise<RoomInfo[]> | null {
    return null;
  }

  async sendDm(toFold: string, dm: DirectMessage): Promise<DmOutcome> {
    return this.sink.receiveDm(toFold, dm);
  }

  health(): EngineHealth {
    const { writable, problems, ...detail } = storeReport(this.writer, this.database);
    return { ok: writable, problems, detail };
  }

  async stop(): Promise<void> {}
}
