import type { Socket } from 'node:net';
import type { Ticket } from '../admission.js';
import { isUtf8 } from 'node:buffer';
import type { ErrorCode } from '../../shared/errors.js';
import { parseClientMessage } from '../../shared/parse.js';
import type { Dispatcher } from '../dispatch.js';
import type { Hub } from '../hub.js';
import { InputGate, type GateOwner } from '../input-gate.js';
import type { Metrics } from '../metrics.js';
import { Outgoing } from '../outgoing.js';
import type { Peer, Session, TransportKind } from '../session.js';

export interface PeerHost {
  hub: Hub;
  dispatcher: Dispatcher;
  metrics: Metrics;
  maxBufferedBytes: number;
  /** Items read but not yet handled that a connection may have waiting; more are refused. */
  maxQueuedInput: number;
}

/** Input a transport refused itself (oversize, bad UTF-8, a binary frame): still an item, in order. */
export interface Refusal {
  refused: ErrorCode;
  message: string;
}

/** One item of input: a frame or line, or a refusal standing in for one. */
export type Input = Buffer | Refusal;

/** Raw input bytes that cost one message's worth of budget, so input that makes nothing is not free. */
const INPUT_BYTES_PER_TOKEN = 4096;

const EMPTY = Buffer.alloc(0);

const CUT_ERROR = Object.assign(new Error('connection cut: its last output was not taken in time'), { code: 'CHAT_CUT' });

/** How long a closing connection may take to flush its `bye` before it is cut. */
export const CLOSE_GRACE_MS = 3000;
/** How long unsent output may stay over --max-buffered-bytes before the reader counts as stalled. */
const SLOW_GRACE_MS = 1000;
/** Unsent output this many times the bound drops the reader at once. */
const HARD_BOUND_FACTOR = 4;

// Sockets holding writes, in the order they were first written to; those before `head` are released.
let corked: SocketPeer[] = [];
let head = 0;
let releaseScheduled = false;

/**
 * Sockets released per event-loop turn. A wider release goes out in slices with a turn between them,
 * so input is read meanwhile: a message that arrives while a broadcast to 10,000 members is leaving
 * joins the held writes of the members not reached yet (one system call for both) instead of
 * queueing behind all of them.
 */
const RELEASE_SLICE = 1024;

/**
 * Releases the sockets' held writes. Runs once per event-loop turn (and at the end of each hub
 * flush), so everything a turn sends to one socket, across all the events that turn handled, leaves
 * in one system call: filling a room costs one write per member per turn, not one per join.
 */
export function releaseWrites(): void {
  const width = corked.length - head;
  const end = Math.min(corked.length, head + RELEASE_SLICE);
  while (head < end) corked[head++]!.uncork();
  if (head === corked.length) {
    corked = [];
    head = 0;
  } else {
    if (head >= RELEASE_SLICE * 4) {
      corked = corked.slice(head);
      head = 0;
    }
    if (!releaseScheduled) {
      releaseScheduled = true;
      setImmediate(releaseLater);
    }
  }
  if (width >= STORM_WIDTH) lastWideRelease = performance.now();
}

function releaseLater(): void {
  releaseScheduled = false;
  releaseWrites();
}

// Wide releases back to back are a broadcast storm (a large room filling up): each costs one system
// call per member, so the next release waits a moment and the following turns' writes to the same
// sockets share a call. A lone broadcast, however wide, still leaves at once.
const STORM_WIDTH = 256;
const STORM_GAP_MS = 5;
const STORM_WINDOW_MS = 2;
let lastWideRelease = -Infinity;

function scheduleRelease(): void {
  if (releaseScheduled) return;
  releaseScheduled = true;
  if (performance.now() - lastWideRelease < STORM_GAP_MS) setTimeout(releaseLater, STORM_WINDOW_MS);
  else setImmediate(releaseLater);
}

/**
 * What every transport's peer shares: one socket, writes coalesced per event-loop turn (a burst of
 * messages to one member becomes one system call), a bounded outbound buffer checked at the end of
 * each turn (a peer that stops reading is a slow consumer: it gets `bye` and is dropped, never slowing
 * anyone else), and `bye` before every close.
 */
export abstract class SocketPeer implements Peer, GateOwner<Input> {
  session: Session | null = null;
  /** This socket's admission until its hello succeeds, then null. */
  registration: Ticket | null = null;
  protected closing = false;
  private corkedThisTurn = false;
  /** When the unsent output last went over the bound (0: it is under). */
  private overBoundSince = 0;
  private gate: InputGate<Input> | null = null;
  sliceTurn = -1;
  sliceUsed = 0;

  constructor(
    readonly kind: TransportKind,
    readonly remote: string,
    protected readonly socket: Socket,
    protected readonly host: PeerHost,
  ) {}

  deliver(out: Outgoing): void {
    if (!this.closing) this.send(out);
    // The welcome is the first delivery after hello succeeds: from then on the socket counts as registered.
    if (this.registration !== null && this.session?.registered) {
      this.registration.registered();
      this.registration = null;
    }
  }

  close(reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.send(new Outgoing({ type: 'bye', reason }));
    this.finish(reason);
    if (this.session) this.host.hub.disconnect(this.session, reason);
  }

  /** The socket is gone, whoever closed it. */
  gone(): void {
    this.closing = true;
    if (this.session) this.host.hub.disconnect(this.session, 'connection closed');
  }

  get closed(): boolean {
    return this.closing || this.socket.destroyed;
  }

  /** Charges the budget for raw bytes read, whatever they turn out to hold. */
  protected charge(bytes: number): void {
    const cost = bytes / INPUT_BYTES_PER_TOKEN;
    const session = this.session;
    if (this.gate || !session) return void this.inputGate()?.charge(cost);
    // Most reads leave the budget in credit: no gate is needed for them.
    session.flood.charge(cost);
    if (session.flood.msUntilPaid() > 0) this.inputGate()?.charge(0);
  }

  /** Queues one item of input; it is handled when the connection's budget and output allow. */
  protected input(item: Input): void {
    this.inputGate()?.push(item);
  }

  private inputGate(): InputGate<Input> | null {
    const session = this.session;
    if (!session || this.closing) return null;
    return (this.gate ??= new InputGate(this, session.flood, this.host.maxQueuedInput, this.host.maxBufferedBytes / 2));
  }

  onPaused(): void {
    this.host.metrics.inputPaused.inc();
  }

  // A gate is kept only while something waits: most connections are idle, and each would carry one.
  onIdle(): void {
    this.gate = null;
  }

  handle(item: Input): void | Promise<void> {
    const session = this.session;
    if (!session || this.closing) return;
    if (Buffer.isBuffer(item)) return this.handleInput(session, item);
    this.host.dispatcher.refuse(session, item.refused, item.message);
  }

  refuse(item: Input): void {
    if (this.session && !this.closing) this.host.dispatcher.overflow(this.session, Buffer.isBuffer(item) ? this.refOf(item) : undefined);
  }

  /**
   * The ref of a refused frame or line, so its sender knows which one was refused. It costs a parse, but a
   * refusal is also a strike: a connection gets few before it is dropped.
   */
  protected refOf(item: Buffer): string | undefined {
    if (!isUtf8(item)) return undefined;
    const parsed = parseClientMessage(item.toString('utf8'));
    return parsed.ok ? parsed.value.ref : parsed.error.ref;
  }

  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    if (!this.closing) this.socket.resume();
  }

  outputBacklog(): number {
    return this.socket.writableLength;
  }

  onDrained(resume: () => void): void {
    // Node emits 'drain' only after a write found the buffer at its high-water mark (16 KiB); a backlog
    // under that (a bound under 32 KiB) would wait for good. An empty write calls back once all before it has gone.
    if (this.socket.writableNeedDrain || this.socket.writableEnded) this.socket.once('drain', resume);
    else this.socket.write(EMPTY, () => resume());
  }

  /** One frame or line, in order, once the gate lets it through. */
  /** A promise when the request waits for the engine: the connection's next input waits for it. */
  protected abstract handleInput(session: Session, item: Buffer): void | Promise<void>;

  private send(out: Outgoing): void {
    this.write(this.encode(out));
  }

  /** Writes bytes through the same per-turn batching and slow-consumer bound as messages. */
  protected write(bytes: Buffer | string): void {
    // After end() (our bye is queued) nothing more may go: a write after end destroys the socket, and
    // with it the output still queued, bye included. A telnet reply to late negotiation would do that.
    if (bytes.length === 0 || this.socket.destroyed || this.socket.writableEnded) return;
    if (!this.corkedThisTurn) {
      this.corkedThisTurn = true;
      this.socket.cork();
      if (corked.push(this) - head === 1) scheduleRelease();
    }
    this.socket.write(bytes);
  }

  /**
   * Lets this turn's writes go; called once per turn for each peer written to. What the kernel would
   * not take stays buffered here. A reader is a slow consumer when that stays over the bound for longer
   * than a grace period (a big history page or a burst to a reader that keeps up passes through), or
   * when it reaches several times the bound, which caps the memory one peer can hold.
   */
  uncork(): void {
    this.corkedThisTurn = false;
    if (this.socket.destroyed) return;
    this.socket.uncork();
    if (this.closing) return;
    const buffered = this.socket.writableLength;
    const bound = this.host.maxBufferedBytes;
    if (buffered <= bound) {
      this.overBoundSince = 0;
      return;
    }
    const now = performance.now();
    if (this.overBoundSince === 0) this.overBoundSince = now;
    if (buffered > bound * HARD_BOUND_FACTOR || now - this.overBoundSince > SLOW_GRACE_MS) {
      this.host.metrics.slowConsumersDropped.inc();
      this.close('slow consumer');
    }
  }

  /** The message in this transport's wire form (empty for a message it does not show). */
  protected abstract encode(out: Outgoing): Buffer | string;

  /**
   * Destroys the socket with one shared error. Destroying without one makes Node build a fresh Error,
   * stack trace and all, for every write still queued: a dropped slow consumer holds thousands, and a
   * thousand of them at once stalled the server for seconds.
   */
  cut(): void {
    this.socket.destroy(CUT_ERROR);
  }

  /** Ends the connection after what is written, and cuts it if that takes too long. */
  protected finish(_reason: string): void {
    this.socket.end();
    setTimeout(() => this.cut(), CLOSE_GRACE_MS).unref();
  }
}
