/**
 * The failover scenario's clients, in a process of their own (driven over IPC by
 * bench/scenarios/failover.ts). Clients on node A follow their room's seqs; writers on node B keep
 * talking in every room; when A dies each client reconnects to B as a real one would: hello with the
 * same nick (again on NICK_TAKEN, until A's lease lapses), join, and page history back to the last seq it
 * saw. A probe on B asks `who` until every room lists exactly the live members.
 */
import { openLink, type JsonLink, type Msg } from './json-link.js';

export interface FailoverSetup {
  cmd: 'setup';
  transport: 'ws' | 'tcp';
  portA: number;
  portB: number;
  clients: number;
  rooms: number;
  /** Messages per second from the writers on B, over all rooms. */
  msgRate: number;
  concurrency: number;
  setupTimeoutMs: number;
  /** How long to wait after the kill before giving up. */
  recoverTimeoutMs: number;
  /** Hello again this long after NICK_TAKEN (plus up to half of it at random, so retries spread). */
  retryMs: number;
  /**
   * Messages per room the writers send at once when A dies, past the join's 50 messages of history, so
   * that every client has to page back to its last seq.
   */
  burstPerRoom: number;
}

/** Sent before the kill: from now on a closed link means failover. Answered with `armed`. */
export interface FailoverArm {
  cmd: 'arm';
}

export interface FailoverKilled {
  cmd: 'killed';
  /** Epoch ms (performance.timeOrigin + now) when the parent sent SIGKILL. */
  atMs: number;
}

export type FailoverCmd = FailoverSetup | FailoverArm | FailoverKilled | { cmd: 'close' };

export interface FailoverReady {
  type: 'ready';
  ready: number;
  failed: number;
  firstError: string | null;
  setupMs: number;
}

export interface FailoverResult {
  type: 'result';
  clients: number;
  burstPerRoom: number;
  /** Clients whose link to A closed after the kill. */
  disconnected: number;
  /** Clients back on B: welcomed with their own nick, rejoined, history paged back to their last seq. */
  back: number;
  /** Of those, clients that found a gap (a seq after their last one that neither history nor live gave). */
  withGap: number;
  missingSeqs: number;
  /** ms after the kill: first close seen, all closed, first and last welcome on B, all back, presence converged. */
  firstClosedMs: number | null;
  allClosedMs: number | null;
  firstWelcomeMs: number | null;
  lastWelcomeMs: number | null;
  allBackMs: number | null;
  backP50Ms: number | null;
  backP99Ms: number | null;
  convergedMs: number | null;
  /** The `who` rounds the probe sent after all were back, until one matched everywhere. */
  whoRounds: number;
  /** What the last non-matching round saw, when presence never converged. */
  presenceMismatch: string | null;
  nickTakenRetries: number;
  connectRetries: number;
  historyPages: number;
  /** Messages the writers had acked between the kill and the end, and errors they got. */
  writtenDuringRecovery: number;
  writerErrors: number;
  /** Clients that were back on B and lost it again (B fenced: its sessions closed), and then came back. */
  lostAgain: number;
  /** The first few errors and closes the writers and the probe met after the kill. */
  incidents: string[];
  timedOut: boolean;
}

type State = 'connecting' | 'hello' | 'joining' | 'ready' | 'lost' | 'paging' | 'back';

interface Client {
  i: number;
  nick: string;
  room: string;
  link: JsonLink | null;
  state: State;
  lastSeq: number;
  /** Seqs after lastSeq seen since rejoining (history pages and live messages). */
  got: Set<number>;
  backAt: number;
}

const now = () => performance.timeOrigin + performance.now();
const reply = (m: FailoverReady | FailoverResult | { type: 'armed' } | { type: 'error'; message: string }) => process.send?.(m);

let setup: FailoverSetup;
let clients: Client[] = [];
const writers: Array<{ link: JsonLink; rooms: string[]; ready: boolean }> = [];
let probe: JsonLink | null = null;
let armed = false;
let killAt = 0;
let stats = { nickTakenRetries: 0, connectRetries: 0, historyPages: 0, writtenDuringRecovery: 0, writerErrors: 0, lostAgain: 0 };
const closedAt: number[] = [];
const incidents: string[] = [];
const incident = (what: string) => { if (incidents.length < 10) incidents.push(`${Math.round(now() - (killAt || now()))} ms: ${what}`); };
const welcomeAt: number[] = [];
let convergedAt = 0;
let whoRounds = 0;
let presenceMismatch: string | null = null;
let finished = false;

function roomOf(i: number): string {
  return `#fo${i % setup.rooms}`;
}

/** A client's link to `port`: hello, join its room, follow its seqs; on the way back, page to its last seq. */
function attach(c: Client, port: number): void {
  c.state = 'connecting';
  c.link = openLink(setup.transport, port, {
    open: () => {
      c.state = 'hello';
      c.link!.send({ type: 'hello', nick: c.nick, client: 'bench-failover' });
    },
    message: (m) => onMessage(c, m),
    closed: (opened) => {
      c.link = null;
      if (!armed) {
        if (c.state !== 'ready') c.state = 'lost';
        return;
      }
      if (c.state === 'ready') closedAt.push(now());
      // Back, then cut off again (B itself fenced, say): not back until it has rejoined and paged again.
      if (c.state === 'back') {
        stats.lostAgain += 1;
        c.backAt = 0;
      }
      if (!opened) stats.connectRetries += 1;
      c.state = 'lost';
      // After the kill everyone goes to B, at once (a real client would back off; this is the worst case).
      setTimeout(() => attach(c, setup.portB), opened ? 0 : setup.retryMs);
    },
  });
}

function onMessage(c: Client, m: Msg): void {
  switch (m.type) {
    case 'welcome':
      if (armed) welcomeAt.push(now());
      c.state = 'joining';
      c.link!.send({ type: 'join', room: c.room });
      return;
    case 'error':
      if (m.code === 'NICK_TAKEN' && c.state === 'hello') {
        stats.nickTakenRetries += 1;
        setTimeout(() => c.link?.send({ type: 'hello', nick: c.nick, client: 'bench-failover' }), setup.retryMs * (1 + Math.random() / 2));
      }
      return;
    case 'message':
      if (m.room !== c.room) return;
      if (c.state === 'ready') c.lastSeq = Math.max(c.lastSeq, m.seq as number);
      else if (armed && c.state !== 'lost') c.got.add(m.seq as number);
      return;
    case 'history':
      if (m.room !== c.room) return;
      onHistory(c, m.messages as Array<{ seq: number }>, m.more as boolean);
      return;
    case 'who':
      if (m.room === c.room && c.state === 'joining' && !armed) c.state = 'ready';
      return;
  }
}

function onHistory(c: Client, page: Array<{ seq: number }>, more: boolean): void {
  if (!armed) {
    // The join's history on A: where this client starts.
    for (const x of page) c.lastSeq = Math.max(c.lastSeq, x.seq);
    return;
  }
  if (c.state !== 'joining' && c.state !== 'paging') return;
  c.state = 'paging';
  for (const x of page) if (x.seq > c.lastSeq) c.got.add(x.seq);
  const oldest = page[0]?.seq;
  if (oldest !== undefined && oldest > c.lastSeq + 1 && more) {
    stats.historyPages += 1;
    c.link!.send({ type: 'history', room: c.room, before: oldest, limit: 200 });
    return;
  }
  c.state = 'back';
  c.backAt = now();
  maybeFinish();
}

/** Seqs between a client's last and the newest it has that it never got. */
function gapOf(c: Client): number {
  if (!c.got.size) return 0;
  const newest = Math.max(...c.got);
  let missing = 0;
  for (let s = c.lastSeq + 1; s <= newest; s++) if (!c.got.has(s)) missing += 1;
  return missing;
}

function setUp(cmd: FailoverSetup): void {
  setup = cmd;
  const t0 = now();
  clients = Array.from({ length: cmd.clients }, (_, i) => ({
    i, nick: `f${i}`, room: roomOf(i), link: null, state: 'lost' as State, lastSeq: 0, got: new Set<number>(), backAt: 0,
  }));
  let next = 0;
  const launch = () => {
    const inFlight = clients.filter((c) => c.state !== 'ready' && c.state !== 'lost' && c.link).length;
    for (let k = inFlight; k < cmd.concurrency && next < clients.length; k++) attach(clients[next++]!, cmd.portA);
  };
  const timer = setInterval(() => {
    launch();
    const ready = clients.filter((c) => c.state === 'ready').length;
    const settled = next === clients.length && clients.every((c) => c.state === 'ready' || (c.state === 'lost' && !c.link));
    if (settled || now() - t0 > cmd.setupTimeoutMs) {
      clearInterval(timer);
      startWriters(() => reply({
        type: 'ready', ready, failed: clients.length - ready,
        firstError: ready < clients.length ? `${clients.length - ready} clients did not join within ${cmd.setupTimeoutMs} ms` : null,
        setupMs: now() - t0,
      }));
    }
  }, 20);
}

/** Writers on B (40 rooms each, under the per-connection room limit) and the presence probe. */
function startWriters(done: () => void): void {
  const perWriter = 40;
  const count = Math.ceil(setup.rooms / perWriter);
  let pending = count + 1;
  const settle = () => { if (--pending === 0) { startSaying(); done(); } };
  for (let w = 0; w < count; w++) {
    const rooms = Array.from({ length: Math.min(perWriter, setup.rooms - w * perWriter) }, (_, k) => `#fo${w * perWriter + k}`);
    let joined = 0;
    const writer = { link: null as unknown as JsonLink, rooms, ready: false };
    writer.link = steadyLink(`fw${w}`, (link) => { writer.link = link; }, {
      message: (m) => {
        if (m.type === 'welcome') for (const r of rooms) writer.link.send({ type: 'join', room: r });
        else if (m.type === 'who' && rooms.includes(m.room as string) && !writer.ready && ++joined === rooms.length) {
          writer.ready = true;
          settle();
        } else if (m.type === 'ack' && armed) stats.writtenDuringRecovery += 1;
        else if (m.type === 'error' && armed) {
          stats.writerErrors += 1;
          incident(`writer fw${w} error ${String(m.code)}: ${String(m.message)}`);
        } else if (m.type === 'bye') incident(`writer fw${w} bye: ${String(m.reason)}`);
      },
      closed: (why) => {
        stats.writerErrors += 1;
        incident(`writer fw${w} closed: ${why}`);
      },
    });
    writers.push(writer);
  }
  let probeWelcomed = false;
  probe = steadyLink('fprobe', (link) => { probe = link; }, {
    message: (m) => {
      if (m.type === 'welcome' && !probeWelcomed) {
        probeWelcomed = true;
        settle();
      } else if (m.type === 'who') onWho(m);
      else if (m.type === 'bye' || (m.type === 'error' && m.code !== 'NICK_TAKEN')) incident(`probe ${m.type} ${String(m.reason ?? m.code)}`);
    },
    closed: (why) => {
      incident(`probe closed: ${why}`);
      // A round in flight on the lost link never completes: start over once all are back.
      round = null;
      setTimeout(maybeFinish, 100);
    },
  });
}

/**
 * A link to B that stays: on close (B fenced, say) it connects again and says hello with the same nick,
 * again on NICK_TAKEN. `relink` learns each new link.
 */
function steadyLink(nick: string, relink: (l: JsonLink) => void, hooks: { message(m: Msg): void; closed(why: string): void }): JsonLink {
  const link: JsonLink = openLink(setup.transport, setup.portB, {
    open: () => link.send({ type: 'hello', nick, client: 'bench-failover' }),
    message: (m) => {
      if (m.type === 'error' && m.code === 'NICK_TAKEN') {
        setTimeout(() => link.send({ type: 'hello', nick, client: 'bench-failover' }), setup.retryMs);
        return;
      }
      hooks.message(m);
    },
    closed: (_opened, why) => {
      hooks.closed(why);
      if (!finished) setTimeout(() => relink(steadyLink(nick, relink, hooks)), setup.retryMs);
    },
  });
  return link;
}

function startSaying(): void {
  const rooms = writers.flatMap((w) => w.rooms.map((r) => ({ w, r })));
  const t0 = now();
  let sent = 0;
  const timer = setInterval(() => {
    if (finished) return clearInterval(timer);
    const due = Math.floor(((now() - t0) / 1000) * setup.msgRate);
    for (; sent < due; sent++) {
      const { w, r } = rooms[sent % rooms.length]!;
      w.link.send({ type: 'say', room: r, text: `failover ${sent}`, ref: `w${sent}` });
    }
  }, 10);
}

/** Expected members per room once all are back: its clients and its writer; #lobby: everyone. */
function expectedPresence(): Map<string, string[]> {
  const want = new Map<string, string[]>();
  for (const c of clients) {
    if (!want.has(c.room)) want.set(c.room, []);
    want.get(c.room)!.push(c.nick);
  }
  writers.forEach((w, k) => { for (const r of w.rooms) want.get(r)?.push(`fw${k}`); });
  want.set('#lobby', [...clients.map((c) => c.nick), ...writers.map((_, k) => `fw${k}`), 'fprobe']);
  for (const v of want.values()) v.sort();
  return want;
}

let round: { want: Map<string, string[]>; left: number; ok: boolean; mismatch: string | null } | null = null;

function askWho(): void {
  const want = expectedPresence();
  round = { want, left: want.size, ok: true, mismatch: null };
  whoRounds += 1;
  for (const room of want.keys()) probe!.send({ type: 'who', room });
}

function onWho(m: Msg): void {
  if (!round || !round.want.has(m.room as string)) return;
  const want = round.want.get(m.room as string)!;
  const users = [...(m.users as string[])].sort();
  if (m.total !== want.length || users.join(',') !== want.join(',')) {
    round.ok = false;
    round.mismatch ??= `${m.room as string}: ${m.total as number} members, expected ${want.length}`;
  }
  if (--round.left > 0) return;
  if (round.ok && clients.every((c) => c.state === 'back')) {
    convergedAt = now();
    presenceMismatch = null;
    finish(false);
  } else {
    presenceMismatch = round.mismatch ?? 'a client was cut off again during the round';
    round = null;
    setTimeout(maybeFinish, 100);
  }
}

function maybeFinish(): void {
  if (!round && !finished && clients.every((c) => c.state === 'back')) askWho();
}

/** The writers' burst: burstPerRoom messages in each room, while A's clients are away. */
function burst(): void {
  for (const w of writers) {
    for (let k = 0; k < setup.burstPerRoom; k++) for (const r of w.rooms) w.link.send({ type: 'say', room: r, text: `burst ${k}`, ref: `b${k}` });
  }
}

function finish(timedOut: boolean): void {
  if (finished) return;
  finished = true;
  const since = (t: number) => (t ? Math.round(t - killAt) : null);
  const backs = clients.filter((c) => c.state === 'back').map((c) => c.backAt - killAt).sort((a, b) => a - b);
  const q = (p: number) => (backs.length ? Math.round(backs[Math.min(backs.length - 1, Math.ceil(p * backs.length) - 1)]!) : null);
  const gaps = clients.map(gapOf);
  if (timedOut && round) presenceMismatch ??= `${round.left} of ${round.want.size} who answers still due`;
  reply({
    type: 'result', clients: clients.length, burstPerRoom: setup.burstPerRoom, disconnected: closedAt.length, back: backs.length,
    withGap: gaps.filter((g) => g > 0).length, missingSeqs: gaps.reduce((a, g) => a + g, 0),
    firstClosedMs: closedAt.length ? since(Math.min(...closedAt)) : null,
    allClosedMs: closedAt.length === clients.length ? since(Math.max(...closedAt)) : null,
    firstWelcomeMs: welcomeAt.length ? since(Math.min(...welcomeAt)) : null,
    lastWelcomeMs: welcomeAt.length ? since(Math.max(...welcomeAt)) : null,
    allBackMs: backs.length === clients.length ? q(1) : null,
    backP50Ms: q(0.5), backP99Ms: q(0.99),
    convergedMs: since(convergedAt), whoRounds, presenceMismatch, ...stats, incidents, timedOut,
  });
}

process.on('message', (raw) => {
  const cmd = raw as FailoverCmd;
  try {
    if (cmd.cmd === 'setup') setUp(cmd);
    else if (cmd.cmd === 'arm') {
      // Clients that never joined on A take no part.
      clients = clients.filter((c) => c.state === 'ready');
      armed = true;
      reply({ type: 'armed' });
    } else if (cmd.cmd === 'killed') {
      killAt = cmd.atMs;
      burst();
      setTimeout(() => finish(true), Math.max(0, killAt + setup.recoverTimeoutMs - now()));
    } else if (cmd.cmd === 'close') {
      for (const c of clients) c.link?.close();
      for (const w of writers) w.link.close();
      probe?.close();
      process.exit(0);
    }
  } catch (err) {
    reply({ type: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) });
  }
});
process.on('disconnect', () => process.exit(0));
