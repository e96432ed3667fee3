/**
 * The single-process engine: history in SQLite, appended (and topics set) by the supervised writer
 * thread and read by the supervised reader thread, so the event loop never waits for the disk; nicks
 * and seqs in memory. Events are emitted in process: a message's and a topic's once committed, the
 * others at once, so a request's event has been applied when its promise settles.
 */
import { nanoid } from 'nanoid';
import type { BanInfo, RoomInfo, ServerMessage } from '../../shared/protocol.js';
import { caseFold } from '../../shared/validate.js';
import type { DatabaseFile } from '../store/database-file.js';
import { emptyPolicy, type RoomPolicy } from '../moderation/policy.js';
import type { AccountDirectory } from './accounts.js';
import { storeRecord } from './local-accounts.js';
import { LocalReadMarkers } from './local-read-markers.js';
import type { StoredMessage } from '../store/history-store.js';
import { ReadError, type HistoryReader } from '../store/history-reader.js';
import { CommitError, type HistoryWriter } from '../store/history-writer.js';
import { storeReport } from '../store/store-health.js';
import {
  EngineError, type ClusterCounts, type DirectMessage, type DmReceipt, type Engine, type EngineHealth, type EngineSink, type UserInfo,
  type EngineEvent, type HistoryPage, type MemberRef, type ModerationEntry, type NewMessage, type PolicyNotice, type RoomSnapshot,
} from './engine.js';

/** Registry kinds (see HistoryStore.registry) of the server bans, the rooms' policies and the moderation log. */
export const BAN_KIND = 'serverban';
export const POLICY_KIND = 'room';
const MODLOG_KIND = 'modlog';

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
  /** Rooms whose last seq is being read; whoever needs their seqs meanwhile waits for this read. */
  private readonly loading = new Map<string, Promise<void>>();
  /** Folded nick → the session holding it. */
  private readonly nicks = new Map<string, string>();
  /** Server bans by mask, as stored. */
  private readonly bans = new Map<string, BanInfo>();
  /** Rooms' moderation state, as stored. */
  private readonly policies = new Map<string, RoomPolicy>();
  /** The last policy change of each room: the next one starts from its outcome. */
  private readonly policyChanges = new Map<string, Promise<unknown>>();
  readonly readMarkers: LocalReadMarkers;

  constructor(
    private readonly writer: HistoryWriter,
    private readonly reader: HistoryReader,
    private readonly database: DatabaseFile,
    readonly accounts: AccountDirectory,
    storedBans: Map<string, string> = new Map(),
    storedPolicies: Map<string, string> = new Map(),
  ) {
    for (const json of storedBans.values()) {
      const ban = JSON.parse(json) as BanInfo;
      this.bans.set(ban.mask, ban);
    }
    for (const [key, json] of storedPolicies) this.policies.set(key, JSON.parse(json) as RoomPolicy);
    this.readMarkers = new LocalReadMarkers(writer, reader);
  }

  async start(sink: EngineSink): Promise<void> {
    this.sink = sink;
  }

  append(batch: NewMessage[]): Promise<void> {
    const unknown = new Set<string>();
    for (const m of batch) if (!this.seqs.has(m.roomKey)) unknown.add(m.roomKey);
    if (unknown.size === 0) return this.commit(batch);
    // A room nobody serves any more (its last member left with a message on its way): its last seq is
    // read first. Until then, no seq of it is handed out.
    return Promise.all([...unknown].map((key) => this.load(key))).then(() => this.append(batch));
  }

  /** Hands out seqs (every room of `batch` has its RoomSeq) and commits. */
  private commit(batch: NewMessage[]): Promise<void> {
    const ts = Date.now();
    const rows: StoredMessage[] = [];
    for (const m of batch) {
      const seqs = this.seqs.get(m.roomKey)!;
      seqs.inFlight++;
      const row: StoredMessage = { roomKey: m.roomKey, room: m.room, id: m.id, seq: ++seqs.handed, from: m.from, text: m.text, ts };
      if (m.action) row.action = true;
      if (m.account !== undefined) row.account = m.account;
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

  /**
   * Reads the room's last seq into `seqs`, off the event loop; one read per room at a time, shared by
   * whoever waits. With no RoomSeq, nothing of the room is being committed: what is stored was emitted.
   */
  private load(roomKey: string, read: Promise<number> = this.reader.lastSeq(roomKey)): Promise<void> {
    const loading = this.loading.get(roomKey);
    if (loading) return loading;
    const loaded = read.then(
      (lastSeq) => {
        this.loading.delete(roomKey);
        if (!this.seqs.has(roomKey)) this.seqs.set(roomKey, { handed: lastSeq, emitted: lastSeq, inFlight: 0, served: false });
      },
      (err: unknown) => {
        this.loading.delete(roomKey);
        throw readFailure(err);
      },
    );
    this.loading.set(roomKey, loaded);
    return loaded;
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

  /**
   * The snapshot ends at the last seq emitted: a batch the writer has committed but not yet reported is
   * left out, since its events are still to come. A room nobody holds seqs of is read whole in one read
   * transaction (its last seq, and the page ending there).
   */
  async openRoom(roomKey: string, name: string): Promise<RoomSnapshot> {
    for (;;) {
      const seqs = this.seqs.get(roomKey);
      if (seqs) {
        seqs.served = true;
        const seq = seqs.emitted;
        try {
          const { topic, recent } = await this.reader.room(roomKey, name, seq);
          return { key: roomKey, name, seq, topic, members: [], recent, policy: this.policies.get(roomKey) ?? null };
        } catch (err) {
          this.closeRoom(roomKey);
          throw readFailure(err);
        }
      }
      const loading = this.loading.get(roomKey);
      if (loading) {
        await loading;
        continue;
      }
      const read = this.reader.room(roomKey, name, null);
      // The read gives the room its seqs too: whoever needs them meanwhile waits for it.
      await this.load(roomKey, read.then((room) => room.lastSeq));
      const { lastSeq, topic, recent } = await read;
      const loaded = this.seqs.get(roomKey)!;
      loaded.served = true;
      return { key: roomKey, name, seq: lastSeq, topic, members: [], recent, policy: this.policies.get(roomKey) ?? null };
    }
  }

  closeRoom(roomKey: string): void {
    const seqs = this.seqs.get(roomKey);
    if (!seqs) return;
    seqs.served = false;
    if (seqs.inFlight === 0) this.seqs.delete(roomKey);
  }

  async join(roomKey: string, name: string, member: MemberRef): Promise<void> {
    if (!this.seqs.has(roomKey)) await this.load(roomKey);
    this.sink.apply({ kind: 'join', roomKey, room: name, member, seq: this.seqs.get(roomKey)!.emitted, ts: Date.now() });
  }

  async part(roomKey: string, name: string, member: MemberRef, reason?: string, quit?: boolean, by?: string): Promise<void> {
    const event: EngineEvent = { kind: 'part', roomKey, room: name, member };
    if (reason !== undefined) event.reason = reason;
    if (quit) event.quit = true;
    if (by !== undefined) event.by = by;
    this.sink.apply(event);
  }

  /** Through the writer, in order with the messages committed before it; members see it once stored. */
  async setTopic(roomKey: string, name: string, topic: string, by: string): Promise<void> {
    const ts = Date.now();
    await this.writer.setTopic(roomKey, topic, by, ts);
    this.sink.apply({ kind: 'topic', roomKey, room: name, topic, by, ts });
  }

  updatePolicy(roomKey: string, name: string, change: (current: RoomPolicy) => RoomPolicy, notice?: PolicyNotice): Promise<RoomPolicy> {
    const previous = this.policyChanges.get(roomKey) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(async () => {
      const policy = change(this.policies.get(roomKey) ?? emptyPolicy());
      await storeRecord(this.writer, POLICY_KIND, roomKey, policy, 'the room settings');
      this.policies.set(roomKey, policy);
      this.sink.apply(notice ? { kind: 'policy', roomKey, room: name, policy, notice } : { kind: 'policy', roomKey, room: name, policy });
      return policy;
    });
    this.policyChanges.set(roomKey, next);
    void next.finally(() => { if (this.policyChanges.get(roomKey) === next) this.policyChanges.delete(roomKey); }).catch(() => {});
    return next;
  }

  async policy(roomKey: string): Promise<RoomPolicy | null> {
    return this.policies.get(roomKey) ?? null;
  }

  async accountChanged(nick: string): Promise<void> {
    this.sink.apply({ kind: 'account', nick });
  }

  async notify(nick: string, message: ServerMessage): Promise<void> {
    this.sink.apply({ kind: 'notify', nick, message });
  }

  page(roomKey: string, name: string, before: number, limit: number): Promise<HistoryPage> {
    return this.reader.page(roomKey, name, before, limit).catch((err: unknown) => {
      throw readFailure(err);
    });
  }

  pageAfter(roomKey: string, name: string, after: number, before: number, limit: number): Promise<HistoryPage> {
    return this.reader.pageAfter(roomKey, name, after, before, limit).catch((err: unknown) => {
      throw readFailure(err);
    });
  }

  locate(roomKey: string, anchor: { id: string } | { ts: number }): Promise<number | null> {
    return this.reader.locate(roomKey, anchor).catch((err: unknown) => {
      throw readFailure(err);
    });
  }

  /** On the reader thread, as history pages are: see HistoryReads.search. */
  readonly search = (roomKey: string, name: string, words: string[], before: number, limit: number): Promise<HistoryPage> =>
    this.reader.search(roomKey, name, words, before, limit).catch((err: unknown) => {
      throw readFailure(err);
    });

  roomDirectory(): Promise<RoomInfo[]> | null {
    return null;
  }

  async sendDm(toFold: string, dm: DirectMessage): Promise<DmReceipt> {
    return this.sink.receiveDm(toFold, dm);
  }

  async whois(nickFold: string): Promise<UserInfo | null> {
    return this.sink.whois(nickFold);
  }

  async setAway(member: MemberRef, roomKeys: string[]): Promise<void> {
    this.sink.apply({ kind: 'away', member, rooms: roomKeys });
  }

  async setAccount(member: MemberRef, roomKeys: string[], was?: string): Promise<void> {
    // One process: the hub's users are the record, and only members sharing a room need telling.
    if (roomKeys.length > 0) this.sink.apply(was === undefined ? { kind: 'login', member, rooms: roomKeys } : { kind: 'login', member, rooms: roomKeys, was });
  }

  counts(): Promise<ClusterCounts> | null {
    return null;
  }

  async kill(nick: string, reason: string, except?: string): Promise<void> {
    this.sink.apply(except === undefined ? { kind: 'kill', nick, reason } : { kind: 'kill', nick, reason, except });
  }

  async serverBans(): Promise<BanInfo[]> {
    return [...this.bans.values()];
  }

  async addServerBan(ban: BanInfo): Promise<void> {
    await storeRecord(this.writer, BAN_KIND, ban.mask, ban, 'the ban');
    this.bans.set(ban.mask, ban);
    this.sink.apply({ kind: 'bans' });
  }

  async removeServerBan(mask: string): Promise<boolean> {
    if (!this.bans.has(mask)) return false;
    await storeRecord(this.writer, BAN_KIND, mask, null, 'the ban');
    this.bans.delete(mask);
    this.sink.apply({ kind: 'bans' });
    return true;
  }

  logModeration(entry: ModerationEntry): Promise<void> {
    return storeRecord(this.writer, MODLOG_KIND, `${String(entry.ts).padStart(15, '0')}-${nanoid(8)}`, entry, 'the moderation log entry');
  }




  health(): EngineHealth {
    const { writable, problems, ...detail } = storeReport(this.writer, this.database);
    const reader = this.reader.status();
    if (reader.state !== 'up') problems.push(`history reader is ${reader.state}`);
    return { ok: problems.length === 0, problems, detail: { ...detail, reader: reader.state, readerRestarts: reader.restarts } };
  }

  async stop(): Promise<void> {}
}

/** A read that failed is told to its requester as it is (INTERNAL, with why). */
function readFailure(err: unknown): unknown {
  return err instanceof ReadError ? new EngineError(err.message) : err;
}
