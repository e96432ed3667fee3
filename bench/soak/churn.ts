/**
 * The soak's ordinary users: `concurrent` clients at any time, each a new connection (about 50 % TCP
 * JSON, 40 % WebSocket, 10 % text mode) from its own address, living 5-60 s. Each joins 1-3 of the
 * soak's rooms and about once a second says something (up to 400 characters, with a ref), or now and
 * then asks for history (5 %) or changes nick (2 %). It ends by `quit` (60 %, some after a `part`) or
 * by dropping its socket. One JSON client in four is an account (`u<k>`, one of `accounts`): it logs in
 * with hello's password, or registers the first time. These clients do nothing wrong: any `bye` but the
 * one for their own `quit` is unexpected (the moderator's kicks and bans end no connection).
 */
import { bump } from '../attacks/attack.js';
import { SOAK_PASSWORD } from './moderator.js';
import type { AckLedger } from '../attacks/ledger.js';
import { Wire, addressOf, parse, sleep, typeOf, type WireKind, stopController } from '../attacks/wire.js';

export interface ChurnOptions {
  wsPort: number;
  tcpPort: number;
  concurrent: number;
  rooms: string[];
  ledger: AckLedger;
  /** First address group; each user gets its own address from here on. */
  group: number;
  /** Accounts the clients log in to (0: all guests). */
  accounts?: number;
}

export interface ChurnStats {
  opened: number;
  failed: number;
  failReasons: Record<string, number>;
  byTransport: Record<WireKind, number>;
  live: number;
  /**
   * `say` with a ref over JSON: acked, refused by code, refused because the moderator had just kicked or
   * banned the sender from the room (NOT_IN_ROOM while its `left` was on its way), or unanswered when the
   * connection ended.
   */
  says: { sent: number; acked: number; refused: Record<string, number>; afterKick: number; unanswered: number };
  /** Times a client was made to leave a room (kicked or banned), and rejoins it refused as banned. */
  removed: number;
  /** Text-mode lines said: seen back (stored and delivered), or not by the end of the connection. */
  textSays: { sent: number; echoed: number; unechoed: number };
  history: number;
  nicks: number;
  /** Account clients: logged in by hello, registered, or fallen back to a guest nick (the account was in use). */
  accounts: { loggedIn: number; registered: number; asGuest: number };
  parts: number;
  endings: { quit: number; dropped: number };
  /** Errors to anything but a `say` (or any error in text mode), by code. */
  otherErrors: Record<string, number>;
  /** Connections the server ended although the client did nothing wrong, by `bye` reason. */
  unexpected: Record<string, number>;
}

const MIN_LIFE_MS = 5_000;
const MAX_LIFE_MS = 60_000;
const RAMP_MS = 5_000;
const WORDS = ['lorem', 'ipsum', 'dolor', 'sit', 'amet', 'chat', 'soak', 'héllo', 'naïve', 'test', '😀', 'ok', 'room', 'über'];

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const between = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

/** A text of up to 400 code points that starts with a marker naming its sender and number. */
function textFor(marker: string): string {
  const want = Math.floor(between(1, 400));
  let t = `~${marker}~`;
  while ([...t].length < want) t += ` ${pick(WORDS)}`;
  return [...t].slice(0, Math.max(want, marker.length + 2)).join('');
}

export class Churn {
  readonly stats: ChurnStats = {
    opened: 0, failed: 0, failReasons: {}, byTransport: { tcp: 0, ws: 0, text: 0 }, live: 0,
    says: { sent: 0, acked: 0, refused: {}, afterKick: 0, unanswered: 0 }, removed: 0, textSays: { sent: 0, echoed: 0, unechoed: 0 },
    history: 0, nicks: 0, accounts: { loggedIn: 0, registered: 0, asGuest: 0 }, parts: 0, endings: { quit: 0, dropped: 0 }, otherErrors: {}, unexpected: {},
  };
  private stopping = stopController();
  private slots: Promise<void>[] = [];
  private nextId = 0;
  private readonly wires = new Set<Wire>();

  constructor(private readonly o: ChurnOptions) {}

  start(): void {
    for (let s = 0; s < this.o.concurrent; s++) this.slots.push(this.slot(s));
  }

  /** Stops starting clients, has every live one quit, and waits (bounded) until all are gone. */
  async stop(): Promise<ChurnStats> {
    this.stopping.abort();
    await Promise.race([Promise.all(this.slots), sleep(20_000)]);
    for (const w of this.wires) w.drop();
    await Promise.all(this.slots);
    return this.stats;
  }

  private async slot(s: number): Promise<void> {
    await sleep((s * RAMP_MS) / this.o.concurrent, this.stopping.signal);
    while (!this.stopping.signal.aborted) {
      await this.client(this.nextId++);
      await sleep(between(0, 500), this.stopping.signal);
    }
  }

  private async client(id: number): Promise<void> {
    const st = this.stats;
    const r = Math.random();
    const kind: WireKind = r < 0.5 ? 'tcp' : r < 0.9 ? 'ws' : 'text';
    const port = kind === 'ws' ? this.o.wsPort : this.o.tcpPort;
    const localAddress = addressOf(this.o.group + Math.floor(id / 62_500), id % 62_500);
    let wire: Wire;
    try {
      wire = await Wire.open({ kind, port, localAddress });
    } catch (err) {
      st.failed++;
      bump(st.failReasons, err instanceof Error ? err.message : String(err));
      return;
    }
    this.wires.add(wire);
    st.opened++;
    st.byTransport[kind]++;
    st.live++;
    const marker = `${id}.`;
    /** JSON says waiting for their answer: ref → room. */
    const pending = new Map<string, string>();
    /** Text-mode markers not seen back yet. */
    const unechoed = new Set<string>();
    let bye: string | null = null;
    let quitting = false;
    const account = kind !== 'text' && (this.o.accounts ?? 0) > 0 && id % 4 === 0 ? `u${id % this.o.accounts!}` : null;
    /** An account client's login: by password, then (no account yet) as a guest that registers, or a guest nick. */
    let login: 'password' | 'register' | 'guest' = 'password';
    let welcomed: (ok: boolean) => void = () => {};
    let me = account ?? `c${id}`;
    /** Rooms the moderator made this client leave. */
    const removedFrom = new Set<string>();
    let rooms: string[] = [];
    const welcome = new Promise<boolean>((resolve) => { welcomed = resolve; });

    wire.onReceive((text) => {
      const type = typeOf(text);
      if (type === null) {
        if (kind !== 'text') return;
        if (text.includes(marker)) {
          const m = /^\[\d\d:\d\d\] (#\S+) <[^>]+> ~(\d+\.\d+)~/.exec(text.toString('utf8'));
          if (m && unechoed.delete(m[2]!)) {
            st.textSays.echoed++;
            this.o.ledger.echo(m[1]!, m[2]!);
          }
          return;
        }
        const line = text.toString('utf8');
        if (line.startsWith('*** Welcome')) welcomed(true);
        else if (line.includes('*** bye: ')) bye = line.slice(line.indexOf('*** bye: ') + 9).trim();
        else if (line.startsWith('!!! ')) {
          const code = /^!!! ([A-Z_]+)/.exec(line)?.[1] ?? 'unknown';
          bump(st.otherErrors, code);
          if (code === 'NICK_TAKEN' || code === 'NICK_INVALID' || code === 'SERVER_FULL') welcomed(false);
        }
        return;
      }
      switch (type) {
        case 'welcome':
          if (account && login === 'password') st.accounts.loggedIn++;
          if (account && login === 'register') {
            st.accounts.registered++;
            wire.send({ type: 'register', password: SOAK_PASSWORD });
          }
          welcomed(true);
          return;
        case 'ack': {
          const a = parse<{ ref: string; id: string; seq: number }>(text);
          const room = pending.get(a.ref);
          if (room === undefined) return;
          pending.delete(a.ref);
          st.says.acked++;
          this.o.ledger.ack(room, a.id, a.seq);
          return;
        }
        case 'left': {
          const l = parse<{ room: string; nick: string; reason?: string }>(text);
          if (l.nick === me && /^(kicked|banned)/.test(l.reason ?? '')) {
            st.removed++;
            removedFrom.add(l.room);
            rooms = rooms.filter((r) => r !== l.room);
          }
          return;
        }
        case 'nick': {
          const n = parse<{ old: string; new: string }>(text);
          if (n.old === me) me = n.new;
          return;
        }
        case 'error': {
          const e = parse<{ code: string; ref?: string }>(text);
          if (e.code === 'BANNED' && e.ref?.startsWith('j#')) {
            // A join refused because the moderator banned this client: it is not in that room.
            const refusedRoom = e.ref.slice(1);
            removedFrom.add(refusedRoom);
            rooms = rooms.filter((r) => r !== refusedRoom);
            bump(st.otherErrors, e.code);
            return;
          }
          const room = e.ref === undefined ? undefined : pending.get(e.ref);
          if (room !== undefined && e.code === 'NOT_IN_ROOM' && removedFrom.has(room)) {
            pending.delete(e.ref!);
            st.says.afterKick++;
          } else if (e.ref !== undefined && pending.delete(e.ref)) bump(st.says.refused, e.code);
          else bump(st.otherErrors, e.code);
          if (account && login === 'password' && (e.code === 'LOGIN_FAILED' || e.code === 'NICK_TAKEN')) {
            // No such account yet (register it), or another client holds it (be a guest).
            login = e.code === 'LOGIN_FAILED' ? 'register' : 'guest';
            if (login === 'guest') st.accounts.asGuest++;
            me = login === 'register' ? account : `c${id}`;
            wire.send({ type: 'hello', nick: me });
            return;
          }
          if (e.code === 'NICK_TAKEN' || e.code === 'NICK_INVALID' || e.code === 'SERVER_FULL') welcomed(false);
          return;
        }
        case 'bye':
          bye = parse<{ reason: string }>(text).reason;
      }
    });
    void wire.closed.then(() => welcomed(false));

    const send = (json: object, line: string) => (kind === 'text' ? wire.sendText(line) : wire.send(json));
    try {
      send(account ? { type: 'hello', nick: account, password: SOAK_PASSWORD } : { type: 'hello', nick: `c${id}` }, `c${id}`);
      const timer = setTimeout(() => welcomed(false), 10_000);
      const ok = await welcome;
      clearTimeout(timer);
      if (!ok) {
        bump(st.failReasons, bye ? `bye ${bye}` : 'not welcomed');
        st.failed++;
        wire.drop();
        return;
      }
      rooms = [...this.o.rooms].sort(() => Math.random() - 0.5).slice(0, 1 + Math.floor(Math.random() * 3));
      for (const room of rooms) send({ type: 'join', room, ref: `j${room}` }, `/join ${room}`);
      const deadline = performance.now() + between(MIN_LIFE_MS, MAX_LIFE_MS);
      let n = 0;
      let nicks = 0;
      while (performance.now() < deadline && !this.stopping.signal.aborted && !wire.isClosed) {
        await sleep(between(500, 1500), this.stopping.signal);
        if (wire.isClosed || this.stopping.signal.aborted) break;
        if (rooms.length === 0) {
          // Kicked or banned from every room: try another one (a ban answers BANNED).
          const again = pick(this.o.rooms);
          rooms = [again];
          send({ type: 'join', room: again, ref: `j${again}` }, `/join ${again}`);
          continue;
        }
        const roll = Math.random();
        const room = kind === 'text' ? rooms[rooms.length - 1]! : pick(rooms);
        if (roll < 0.05) {
          st.history++;
          send({ type: 'history', room, limit: 50 }, `/history ${room} 50`);
        } else if (roll < 0.07) {
          st.nicks++;
          const nick = `c${id}n${++nicks}`;
          if (kind === 'text') me = nick;
          send({ type: 'nick', nick }, `/nick ${nick}`);
        } else {
          const m = `${id}.${n++}`;
          const text = textFor(m);
          if (kind === 'text') {
            st.textSays.sent++;
            unechoed.add(m);
            wire.sendText(text);
          } else {
            st.says.sent++;
            pending.set(`s${n}`, room);
            wire.send({ type: 'say', room, text, ref: `s${n}` });
          }
        }
      }
      if (wire.isClosed) return;
      // When the soak ends, everyone leaves politely; otherwise 40 % just drop their socket.
      if (this.stopping.signal.aborted || Math.random() < 0.6) {
        st.endings.quit++;
        if (Math.random() < 0.3) {
          st.parts++;
          if (rooms[0]) send({ type: 'part', room: rooms[0] }, `/part ${rooms[0]}`);
        }
        quitting = true;
        send({ type: 'quit', reason: 'bye' }, '/quit bye');
        await Promise.race([wire.closed, sleep(10_000)]);
        if (!wire.isClosed) wire.drop();
      } else {
        st.endings.dropped++;
        wire.drop();
      }
    } finally {
      await wire.closed;
      this.wires.delete(wire);
      st.live--;
      st.says.unanswered += pending.size;
      st.textSays.unechoed += unechoed.size;
      const expected = wire.endedByUs || (quitting && bye === 'quit');
      if (!expected) bump(st.unexpected, bye ?? (quitting ? 'closed after quit without bye' : 'closed without bye'));
    }
  }
}
