/** A load-generator process, driven over IPC by bench/gen/pool.ts. */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Conn } from './conn.js';
import { Histogram } from './histogram.js';
import type { ConnectCmd, DrainCmd, LoadCmd, ParentCmd, WorkerReply } from './ipc.js';
import { KIND_ACK, KIND_TEXT, MAX_NODES, makeToken, textKind } from './tokens.js';

const MAX_SENDS_PER_TICK = 5000;

let conns: Conn[] = [];
let epochMs = 0;
let measureFromUs = Infinity;
let measureToUs = Infinity;
const latency = new Histogram();
const latencySame = new Histogram();
const latencyCross = new Histogram();
const ackLatency = new Histogram();
let delivered = 0;
let acks = 0;
let firstAckUs = 0;
let lastAckUs = 0;
let dropped = 0;
let localSentByRoom: Record<string, number> = {};
let withRef = false;
let cpuAtLoad = process.cpuUsage();
let wallAtLoad = 0;
const loopDelay = monitorEventLoopDelay({ resolution: 10 });

function nowUs(): number {
  return (performance.timeOrigin + performance.now() - epochMs) * 1000;
}

function reply(msg: WorkerReply): void {
  process.send?.(msg);
}

function onToken(kind: number, us: number, node?: number): void {
  if (us < measureFromUs || us >= measureToUs) return;
  const now = nowUs();
  if (kind === KIND_TEXT && node === undefined) {
    delivered += 1;
    latency.record(now - us);
  } else if (kind >= KIND_TEXT && kind < KIND_TEXT + MAX_NODES) {
    delivered += 1;
    latency.record(now - us);
    (kind - KIND_TEXT === node ? latencySame : latencyCross).record(now - us);
  } else if (kind === KIND_ACK) {
    acks += 1;
    ackLatency.record(now - us);
    if (firstAckUs === 0) firstAckUs = now;
    lastAckUs = now;
  }
}

function connectAll(cmd: ConnectCmd): void {
  for (const c of conns) c.close();
  conns = [];
  const handshake = new Histogram();
  let next = 0;
  let inFlight = 0;
  let ready = 0;
  let failed = 0;
  let firstError: string | null = null;
  const t0 = performance.now();
  let lastReady = t0;
  let done = false;

  const finish = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    conns = conns.filter((c) => c.state === 'ready');
    reply({ type: 'connected', ready, failed, firstError, elapsedMs: lastReady - t0, handshake: handshake.toSparse() });
  };
  const settle = () => {
    inFlight -= 1;
    if (ready + failed === cmd.count) finish();
    else launch();
  };
  const hooks = {
    ready(c: Conn) {
      ready += 1;
      lastReady = c.readyAt;
      handshake.record((c.readyAt - c.startedAt) * 1000);
      settle();
    },
    failed(_c: Conn, reason: string) {
      failed += 1;
      firstError ??= reason;
      settle();
    },
    closed() {
      dropped += 1;
    },
    token: onToken,
  };
  const launch = () => {
    while (!done && inFlight < cmd.concurrency && next < cmd.count) {
      const i = cmd.first + next;
      next += 1;
      inFlight += 1;
      const room = cmd.rooms.length ? [cmd.rooms[i % cmd.rooms.length]!] : [];
      const localAddress = cmd.localAddresses.length ? cmd.localAddresses[i % cmd.localAddresses.length] : undefined;
      const node = i % cmd.ports.length;
      conns.push(new Conn({
        transport: cmd.transport, host: cmd.host, port: cmd.ports[node]!, localAddress,
        nick: `${cmd.nickPrefix}${i}`, rooms: room, node: cmd.ports.length > 1 ? node : undefined,
      }, hooks));
    }
  };
  const timer = setTimeout(() => {
    for (const c of conns) if (c.state !== 'ready') c.close();
    failed = cmd.count - ready;
    firstError ??= `set-up timed out after ${cmd.timeoutMs} ms`;
    finish();
  }, cmd.timeoutMs);
  if (cmd.count === 0) finish();
  else launch();
}

/** Open loop: message k is due at startUs + k / rate whatever happened to earlier ones. */
function load(cmd: LoadCmd): void {
  epochMs = cmd.epochMs;
  measureFromUs = cmd.measureFromUs;
  measureToUs = cmd.endUs;
  latency.reset();
  latencySame.reset();
  latencyCross.reset();
  ackLatency.reset();
  delivered = 0;
  acks = 0;
  firstAckUs = 0;
  lastAckUs = 0;
  dropped = 0;
  localSentByRoom = {};
  withRef = cmd.withRef;
  loopDelay.reset();
  loopDelay.enable();
  cpuAtLoad = process.cpuUsage();
  wallAtLoad = performance.now();
  const senders = conns.slice(0, Math.min(cmd.senders, conns.length));
  const perUs = cmd.msgRate / 1e6;
  const total = senders.length && perUs > 0 ? Math.floor((cmd.endUs - cmd.startUs) * perUs) : 0;
  const padding = 'x'.repeat(Math.max(0, cmd.textLen - 13));
  let sent = 0;
  let lagMaxUs = 0;

  const tick = () => {
    const now = nowUs();
    const due = Math.min(total, Math.floor((now - cmd.startUs) * perUs) + 1);
    let budget = MAX_SENDS_PER_TICK;
    while (sent < due && budget-- > 0) {
      const sched = cmd.startUs + sent / perUs;
      const c = senders[sent % senders.length]!;
      const room = c.spec.rooms[0]!;
      const text = makeToken(textKind(c.spec.node ?? 0), sched) + padding;
      c.send(c.dialect.say(room, text, cmd.withRef ? makeToken('A', sched) : null));
      if (sched >= cmd.measureFromUs) localSentByRoom[room] = (localSentByRoom[room] ?? 0) + 1;
      if (now - sched > lagMaxUs) lagMaxUs = now - sched;
      sent += 1;
    }
    if (sent >= total || now > cmd.endUs + 5e6) {
      clearInterval(timer);
      reply({ type: 'sent', sentByRoom: localSentByRoom, sendLagMaxMs: lagMaxUs / 1000 });
    }
  };
  const timer = setInterval(tick, 1);
}

function drain(cmd: DrainCmd): void {
  let expected = 0;
  const echo = conns[0]?.dialect.echoesOwn ?? true;
  const members: Record<string, number> = {};
  for (const c of conns) for (const r of c.spec.rooms) members[r] = (members[r] ?? 0) + 1;
  for (const [room, n] of Object.entries(cmd.totalSentByRoom)) {
    expected += n * (members[room] ?? 0) - (echo ? 0 : localSentByRoom[room] ?? 0);
  }
  let acksExpected = 0;
  if (withRef) for (const n of Object.values(localSentByRoom)) acksExpected += n;
  const deadline = performance.now() + cmd.timeoutMs;
  const check = () => {
    if ((delivered < expected || acks < acksExpected) && performance.now() < deadline) {
      setTimeout(check, 20);
      return;
    }
    loopDelay.disable();
    const cpu = process.cpuUsage(cpuAtLoad);
    const wallUs = (performance.now() - wallAtLoad) * 1000;
    reply({
      type: 'result', delivered, expected, latency: latency.toSparse(),
      latencySameNode: latencySame.toSparse(), latencyCrossNode: latencyCross.toSparse(), acks, acksExpected,
      ackLatency: ackLatency.toSparse(), dropped, cpu: (cpu.user + cpu.system) / wallUs,
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6, firstAckUs, lastAckUs,
    });
  };
  check();
}

process.on('message', (raw) => {
  const cmd = raw as ParentCmd;
  try {
    if (cmd.cmd === 'connect') connectAll(cmd);
    else if (cmd.cmd === 'load') load(cmd);
    else if (cmd.cmd === 'drain') drain(cmd);
    else if (cmd.cmd === 'stall') {
      for (const c of conns) c.socket.pause();
      reply({ type: 'stalled', paused: conns.length });
    }
    else if (cmd.cmd === 'close') {
      for (const c of conns) c.close();
      process.exit(0);
    }
  } catch (err) {
    reply({ type: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) });
  }
});
// The parent going away ends this process, so a crashed bench leaves nothing behind.
process.on('disconnect', () => process.exit(0));
