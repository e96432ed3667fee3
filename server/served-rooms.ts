/**
 * The rooms this process serves: those with members here, #lobby, and those being read from the engine.
 * A room being read (opened, or caught up after lost events) holds its events until the read is done,
 * then they are applied in order, so a snapshot and the live stream join up without a hole or a repeat.
 */
import { ErrorCode, ProtocolFault } from '../shared/errors.js';
import { LOBBY } from '../shared/limits.js';
import type { RoomInfo } from '../shared/protocol.js';
import { caseFold } from '../shared/validate.js';
import type { Engine, EngineEvent, RoomSnapshot } from './engine/engine.js';
import type { Logger } from './log.js';
import type { TokenBucket } from './rate-limit.js';
import { isHidden } from './moderation/policy.js';
import { Room } from './room.js';
import { sortRoomList } from './room-list.js';
import type { Session } from './session.js';

/** A room being read from the engine: its events wait. */
interface Reading {
  events: EngineEvent[];
  room: Promise<Room>;
  /** Joiners waiting for it to open (they count as the room's `expected` once it is). */
  joiners: number;
  /** A read asked for while this one was going on (events were lost meanwhile): it runs next. */
  again: ((room: Room) => Promise<void>) | null;
}

type ReadWork = (room: Room) => Promise<void>;

export class ServedRooms {
  private readonly rooms = new Map<string, Room>();
  private readonly reading = new Map<string, Reading>();
  /** The room list as `rooms` sorts it, until a room, a member count or a topic changes. */
  private sorted: RoomInfo[] | null = null;

  constructor(
    private readonly engine: Engine,
    /** Bytes of text per second a new room may take (its traffic budget). */
    private readonly traffic: () => TokenBucket,
    /** Applies an event that waited for its room. */
    private readonly apply: (event: EngineEvent) => void,
    /** After held events were applied: the transports may send what they queued. */
    private readonly flushed: () => void,
    private readonly log: Logger,
  ) {}

  /** Rooms served here, and those being opened. */
  get count(): number {
    return this.rooms.size + this.reading.size;
  }

  get(key: string): Room | undefined {
    return this.rooms.get(key);
  }

  byName(name: string): Room | undefined {
    return this.rooms.get(caseFold(name));
  }

  values(): IterableIterator<Room> {
    return this.rooms.values();
  }

  serves(roomKey: string): boolean {
    return this.rooms.has(roomKey) || this.reading.has(roomKey);
  }

  /** Keeps `event` for later if its room is being read; true when it did. */
  hold(event: EngineEvent): boolean {
    if (!('roomKey' in event)) return false;
    const reading = this.reading.get(event.roomKey);
    if (!reading) return false;
    reading.events.push(event);
    return true;
  }

  isReading(roomKey: string): boolean {
    return this.reading.has(roomKey);
  }

  /** A member count or a topic changed: the room list is sorted again when next asked. */
  changed(): void {
    this.sorted = null;
  }

  /** The room, if `session` is in it; otherwise NOT_IN_ROOM. */
  memberRoom(session: Session, name: string): Room {
    const room = this.rooms.get(caseFold(name));
    if (!room || !room.members.has(session.user)) throw new ProtocolFault(ErrorCode.NOT_IN_ROOM, `you are not in ${name}`);
    return room;
  }

  /**
   * The room served here, opened if need be, counted as expecting one more joiner until `settle` is
   * called: it is not dropped while a join is on its way.
   */
  async enter(key: string, name: string): Promise<Room> {
    const served = this.rooms.get(key);
    if (served) {
      served.expected++;
      return served;
    }
    const reading = this.reading.get(key);
    if (reading) {
      reading.joiners++;
      return reading.room;
    }
    return this.open(key, name, 1);
  }

  /** A joiner counted by `enter` has landed or given up. */
  settle(room: Room): void {
    room.expected--;
    this.forgetIfIdle(room);
  }

  open(key: string, name: string, joiners = 0): Promise<Room> {
    const reading: Reading = { events: [], joiners, room: null!, again: null };
    reading.room = this.engine.openRoom(key, name).then(
      (snapshot) => {
        this.reading.delete(key);
        const room = this.roomFrom(snapshot);
        room.expected = reading.joiners;
        this.rooms.set(key, room);
        this.sorted = null;
        this.finish(room, reading);
        return room;
      },
      (err: unknown) => {
        this.reading.delete(key);
        throw err;
      },
    );
    this.reading.set(key, reading);
    return reading.room;
  }

  private roomFrom(snapshot: RoomSnapshot): Room {
    const recent = snapshot.recent;
    // A full page from the store means older messages exist; an empty room or a short page is complete.
    const room = new Room(snapshot.key, snapshot.name, snapshot.seq, recent.messages, this.traffic(), !recent.more);
    room.topic = snapshot.topic;
    room.policy = snapshot.policy;
    this.replaceRemote(room, snapshot);
    return room;
  }

  /** The room's members on other nodes, as the engine's snapshot lists them. */
  replaceRemote(room: Room, snapshot: RoomSnapshot): void {
    room.remote.clear();
    for (const member of snapshot.members) {
      if (member.node !== this.engine.node) room.remote.set(caseFold(member.nick), member);
    }
    room.renamed();
  }

  /**
   * Holds the room's events (starting with `held`) while `work` reads from the engine, then applies them.
   * A read asked for while another is going on runs after it, with the events still held: what was lost
   * during the first read is read by the second.
   */
  catchUp(room: Room, held: EngineEvent[], work: ReadWork): void {
    const current = this.reading.get(room.key);
    if (current) {
      current.events.unshift(...held);
      current.again = then(current.again, work);
      return;
    }
    const reading: Reading = { events: held, joiners: 0, room: null!, again: null };
    this.reading.set(room.key, reading);
    reading.room = work(room).catch((err: unknown) => {
      this.log.error({ err, room: room.key }, 'could not read a room from the engine');
    }).then(() => {
      this.reading.delete(room.key);
      this.finish(room, reading);
      return room;
    });
  }

  /** Every room served or being opened is read again with `work` (after any read going on). */
  catchUpAll(work: ReadWork): void {
    for (const reading of this.reading.values()) reading.again = then(reading.again, work);
    for (const room of this.rooms.values()) if (!this.reading.has(room.key)) this.catchUp(room, [], work);
  }

  /** A read is done: the next read if one was asked for, else the held events, in order. */
  private finish(room: Room, reading: Reading): void {
    if (reading.again) return this.catchUp(room, reading.events, reading.again);
    for (const event of reading.events) this.apply(event);
    this.flushed();
  }

  /** A room with nobody here (and no join on its way) is no longer served. #lobby always is. */
  forgetIfIdle(room: Room): void {
    if (room.members.size === 0 && room.expected === 0 && room.key !== LOBBY && this.rooms.get(room.key) === room) {
      this.rooms.delete(room.key);
      this.engine.closeRoom(room.key);
      this.sorted = null;
    }
  }

  /** The rooms served here, as `rooms` lists them: on a single node, these are all the rooms. */
  sortedList(): RoomInfo[] {
    if (this.sorted) return this.sorted;
    const list: RoomInfo[] = [];
    for (const room of this.rooms.values()) if (!isHidden(room.policy)) list.push({ name: room.name, users: room.total, topic: room.topic });
    return (this.sorted = sortRoomList(list));
  }
}

/** `first`, then `next` (either may be missing). */
function then(first: ReadWork | null, next: ReadWork): ReadWork {
  return first ? async (room) => { await first(room); await next(room); } : next;
}
