/**
 * The hub, the dispatcher and the command table from source, in process: no sockets, no processes.
 * Each client is a recording fake Peer whose requests go through a real InputGate (so a request that
 * waits for its event holds the next one, as on a real connection), and the engine is a ScriptedEngine.
 */
import { pino } from 'pino';
import type { ClientMessage, ServerMessage } from '../../../shared/protocol.js';
import { Dispatcher } from '../../../server/dispatch.js';
import { Hub, type HubConfig } from '../../../server/hub.js';
import { InputGate, type GateOwner } from '../../../server/input-gate.js';
import type { Metrics } from '../../../server/metrics.js';
import type { Outgoing } from '../../../server/outgoing.js';
import { TokenBucket } from '../../../server/rate-limit.js';
import type { Peer, Session } from '../../../server/session.js';
import { ScriptedEngine } from './scripted-engine.js';
import type { Engine } from '../../../server/engine/engine.js';

export const CONFIG: HubConfig = {
  serverName: 'unit', motd: '', maxConnections: 1000, rateLimit: 0, rateBurst: 100, abuseStrikes: 10,
  registrationTimeoutMs: 30_000, announceLimit: 1000, maxBufferedBytes: 1 << 20, maxRooms: 100,
  maxRoomsPerConnection: 20, maxRoomMembers: 1000, maxTopicBytes: 200, roomRate: 0,
};

/** Metrics are not what these tests look at: every counter and histogram accepts and forgets. */
const ignored = { inc() {}, observe() {} };
const METRICS = new Proxy({}, { get: () => ignored }) as unknown as Metrics;

export interface LogRecord {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/**
 * Lets everything already started finish: promise callbacks and the end-of-turn work (the commit queue,
 * the input gate's next slice) run in setImmediate, which these tests leave real. No I/O is involved,
 * so a few turns are enough, whatever the machine's load.
 */
export async function settle(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}

export class TestHub<E extends Engine = ScriptedEngine> {
  readonly hub: Hub;
  readonly dispatcher: Dispatcher;
  readonly logs: LogRecord[] = [];

  constructor(readonly engine: E, config: Partial<HubConfig> = {}) {
    const log = pino({ level: 'info' }, { write: (line: string) => { this.logs.push(JSON.parse(line) as LogRecord); } });
    this.hub = new Hub({ ...CONFIG, ...config }, engine, METRICS, log);
    this.dispatcher = new Dispatcher(this.hub, METRICS, log);
  }

  start(): Promise<void> {
    return this.hub.start();
  }

  /** A new connection, not registered yet. */
  connect(): FakeClient {
    return new FakeClient(this);
  }

  logged(msg: string): LogRecord[] {
    return this.logs.filter((r) => r.msg.includes(msg));
  }
}

/** A connection: records every message delivered to it; its requests pass a real InputGate. */
export class FakeClient implements Peer, GateOwner<ClientMessage> {
  readonly kind = 'tcp-json' as const;
  readonly remote = '127.0.0.1';
  /** Every message delivered, in order (a batch counts as its parts). */
  readonly got: ServerMessage[] = [];
  /** The reason of the bye the hub closed it with, or null while open. */
  bye: string | null = null;
  backlog = 0;
  sliceTurn = -1;
  sliceUsed = 0;
  readonly session: Session;
  private readonly gate: InputGate<ClientMessage>;

  constructor(private readonly owner: TestHub<Engine>) {
    this.session = owner.hub.connect(this)!;
    this.gate = new InputGate(this, new TokenBucket(0, 1), 1000, Infinity);
  }

  get closed(): boolean {
    return this.bye !== null;
  }

  send(message: ClientMessage): void {
    this.gate.push(message);
  }

  /** Messages of one type delivered so far. */
  of<T extends ServerMessage['type']>(type: T): Array<Extract<ServerMessage, { type: T }>> {
    return this.got.filter((m) => m.type === type) as Array<Extract<ServerMessage, { type: T }>>;
  }

  types(): string[] {
    return this.got.map((m) => m.type);
  }

  /** Forgets what was delivered so far (to look only at what comes next). */
  clear(): void {
    this.got.length = 0;
  }

  /** The socket went away without a quit. */
  drop(): void {
    this.bye ??= 'gone';
    this.owner.hub.disconnect(this.session, 'connection closed');
  }

  // ---- Peer --------------------------------------------------------------------------------------

  deliver(out: Outgoing): void {
    if (this.bye === null) this.got.push(...out.messages);
  }

  outputBacklog(): number {
    return this.backlog;
  }

  close(reason: string): void {
    if (this.bye !== null) return;
    this.bye = reason;
    // connect() closes a refused peer before it has a session.
    if (this.session) this.owner.hub.disconnect(this.session, reason);
  }

  // ---- GateOwner ---------------------------------------------------------------------------------

  handle(message: ClientMessage): void | Promise<void> {
    return this.owner.dispatcher.receive(this.session, message);
  }

  refuse(): void {
    throw new Error('the test gate has no limit');
  }

  pauseReading(): void {}
  resumeReading(): void {}
  onDrained(resume: () => void): void {
    resume();
  }
}

/** A hub on a ScriptedEngine, started, with #lobby open. */
export async function scriptedHub(options: { node?: string; shared?: boolean; config?: Partial<HubConfig> } = {}): Promise<TestHub> {
  const t = new TestHub(new ScriptedEngine(options.node ?? 'node-a', options.shared ?? true), options.config);
  await t.start();
  return t;
}

/** Connects and registers `nick`, delivering whatever the bus holds meanwhile (its #lobby join among it). */
export async function register(t: TestHub, nick: string): Promise<FakeClient> {
  const client = t.connect();
  client.send({ type: 'hello', nick });
  await settle();
  t.engine.deliver();
  await settle();
  if (client.of('welcome').length !== 1 || client.of('who').length !== 1) throw new Error(`${nick} did not register: ${JSON.stringify(client.got)}`);
  return client;
}

/** Sends a request and lets the hub work on it, delivering nothing from the bus. */
export async function request(client: FakeClient, message: ClientMessage): Promise<void> {
  client.send(message);
  await settle();
}

/** Delivers the whole bus and lets the hub finish what that started. */
export async function deliverAll(t: TestHub): Promise<void> {
  t.engine.deliver();
  await settle();
}
