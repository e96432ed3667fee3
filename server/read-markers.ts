/**
 * Read markers: how far each account has read in each room, so that all its terminals count the same
 * messages as unread (docs/protocol.md, `read`). The markers of the accounts logged in here are held in
 * memory, read from the engine when the account logs in. A `read` request moves one there; what moved is
 * written back in one batch a second (only the latest marker of each account and room), and at once when
 * the account's last user here leaves: a marker moves with every screenful read, and a write per request
 * would be a disk or Redis write per request. An account is forgotten here once nobody here is logged in
 * to it and all it changed is written.
 */
import type { MarkerChange, ReadMarker, ReadMarkerStore } from './engine/engine.js';
import type { Logger } from './log.js';
import type { User } from './user.js';

/** The most markers one account keeps: past it, a room the account is not in loses its marker, the one that moved longest ago first. */
export const MARKERS_PER_ACCOUNT = 500;
/** How often what moved is written. */
export const MARKER_FLUSH_MS = 1000;

interface AccountMarkers {
  /** By room key, the marker that moved longest ago first; null until read from the engine. */
  markers: Map<string, ReadMarker> | null;
  /** Users of this node logged in to the account: one, or more when one renamed away from the account's nick. */
  users: Set<User>;
}

export interface Moved {
  /** The marker as it is now. */
  marker: ReadMarker;
  /** False when `seq` was not past it. */
  moved: boolean;
}

export class ReadMarkers {
  private readonly accounts = new Map<string, AccountMarkers>();
  /** Reads from the engine on their way, by account: one at a time, shared by whoever waits. */
  private readonly loading = new Map<string, Promise<void>>();
  /** What moved and is not written yet, by account and room key (null: dropped by the bound, or the account was). */
  private dirty = new Map<string, Map<string, ReadMarker | null>>();
  /** Accounts nobody here is logged in to any more: forgotten once what they changed is written. */
  private readonly released = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly store: ReadMarkerStore,
    private readonly log: Logger,
    private readonly flushMs = MARKER_FLUSH_MS,
  ) {}

  /** `user` is logged in to the (folded) account here. */
  enter(account: string, user: User): void {
    this.entry(account).users.add(user);
    this.released.delete(account);
  }

  /** `user` is no longer logged in to it (it left, or logged out): the account's changes are written now. */
  leave(account: string, user: User): void {
    const entry = this.accounts.get(account);
    if (!entry?.users.delete(user) || entry.users.size > 0) return;
    this.released.add(account);
    this.schedule(0);
  }

  /** The users of this node logged in to the account. */
  users(account: string): Iterable<User> {
    return this.accounts.get(account)?.users ?? [];
  }

  /** Reads the account's markers from the engine unless they are known here; rejects (EngineError) when the read fails. */
  open(account: string): Promise<void> {
    if (this.accounts.get(account)?.markers) return Promise.resolve();
    const loading = this.loading.get(account);
    if (loading) return loading;
    const load = this.store.load(account).then(
      (markers) => {
        this.loading.delete(account);
        const entry = this.entry(account);
        entry.markers ??= new Map([...markers].sort((a, b) => a[1].ts - b[1].ts));
        // Its last user left while it was read.
        if (entry.users.size === 0) {
          this.released.add(account);
          this.schedule(0);
        }
      },
      (err: unknown) => {
        this.loading.delete(account);
        throw err;
      },
    );
    this.loading.set(account, load);
    return load;
  }

  /** The account's markers, the one that moved longest ago first (none until `open` has read them). */
  list(account: string): ReadMarker[] {
    return [...(this.accounts.get(account)?.markers?.values() ?? [])];
  }

  /**
   * Moves the account's marker of the room to `seq` if that is past it (`open` first). `inRoom` says
   * which rooms the account is in: their markers are the last the bound drops.
   */
  move(account: string, roomKey: string, room: string, seq: number, inRoom: (roomKey: string) => boolean): Moved {
    const markers = this.accounts.get(account)?.markers;
    if (!markers) throw new Error(`the read markers of ${account} are not loaded`);
    const was = markers.get(roomKey);
    if (seq <= (was?.seq ?? 0)) return { marker: was ?? { room, seq: 0, ts: 0 }, moved: false };
    const marker: ReadMarker = { room, seq, ts: Date.now() };
    // Deleted and set again, so the map stays in the order the markers moved.
    markers.delete(roomKey);
    if (!was && markers.size >= MARKERS_PER_ACCOUNT) this.dropOne(account, markers, inRoom);
    markers.set(roomKey, marker);
    this.changed(account, roomKey, marker);
    return { marker, moved: true };
  }

  /** Deletes every marker of the account (it was dropped); rejects when they could not be read. */
  async forget(account: string): Promise<void> {
    await this.open(account);
    const markers = this.accounts.get(account)?.markers;
    if (!markers) return;
    for (const roomKey of markers.keys()) this.changed(account, roomKey, null);
    markers.clear();
  }

  /** Writes what moved now; resolves once it is written, or (logged) not: it is then tried again later. */
  flush(): Promise<void> {
    const next = this.writing.then(() => this.write());
    this.writing = next;
    return next;
  }

  /** Writes what moved, and takes no more timers. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }

  private entry(account: string): AccountMarkers {
    let entry = this.accounts.get(account);
    if (!entry) {
      entry = { markers: null, users: new Set() };
      this.accounts.set(account, entry);
    }
    return entry;
  }

  private dropOne(account: string, markers: Map<string, ReadMarker>, inRoom: (roomKey: string) => boolean): void {
    let victim: string | undefined;
    for (const key of markers.keys()) {
      if (!inRoom(key)) {
        victim = key;
        break;
      }
    }
    victim ??= markers.keys().next().value;
    if (victim === undefined) return;
    markers.delete(victim);
    this.changed(account, victim, null);
  }

  private changed(account: string, roomKey: string, marker: ReadMarker | null): void {
    let rooms = this.dirty.get(account);
    if (!rooms) {
      rooms = new Map();
      this.dirty.set(account, rooms);
    }
    rooms.set(roomKey, marker);
    this.schedule(this.flushMs);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) {
      if (ms > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, ms);
    this.timer.unref();
  }

  private async write(): Promise<void> {
    const batch = this.dirty;
    this.dirty = new Map();
    const changes: MarkerChange[] = [];
    for (const [account, rooms] of batch) for (const [roomKey, marker] of rooms) changes.push([account, roomKey, marker]);
    if (changes.length > 0) {
      try {
        await this.store.save(changes);
      } catch (err) {
        this.log.warn({ err: (err as Error).message, markers: changes.length }, 'read markers could not be stored; trying again');
        // What moved again meanwhile is newer than what failed.
        for (const [account, roomKey, marker] of changes) {
          const rooms = this.dirty.get(account) ?? new Map<string, ReadMarker | null>();
          if (!rooms.has(roomKey)) rooms.set(roomKey, marker);
          this.dirty.set(account, rooms);
        }
        this.schedule(this.flushMs);
      }
    }
    this.sweep();
  }

  /** Forgets the accounts nobody here is logged in to, once all they changed is written. */
  private sweep(): void {
    for (const account of this.released) {
      if (this.dirty.has(account) || this.loading.has(account)) continue;
      this.released.delete(account);
      if (this.accounts.get(account)?.users.size === 0) this.accounts.delete(account);
    }
  }
}
