/** docs/benchmarks.md from one run's results. */
import type { LoadResult } from '../gen/pool.js';
import type { AttackRow } from '../scenarios/attacks.js';
import type { FanoutRow } from '../scenarios/fanout.js';
import type { SlowRow } from '../scenarios/slow.js';
import { HELP } from '../options.js';
import type { BenchResults } from '../results.js';
import { checkClusterTargets, checkIrcTargets, checkTargets } from './targets.js';
import type { FailoverRow } from '../scenarios/failover.js';
import type { ClusterWindow } from '../scenarios/session.js';

const n = (v: number | null | undefined, digits = 0) =>
  v === null || v === undefined || Number.isNaN(v) ? 'n/a' : v.toLocaleString('en-US', { maximumFractionDigits: digits });
const pct = (v: number) => `${(v * 100).toFixed(2)} %`;

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** "a ÷ b" as a ratio, or n/a. */
function ratio(a: number | null | undefined, b: number | null | undefined): string {
  return a && b ? `${(a / b).toFixed(2)}×` : 'n/a';
}

function fanoutTable(rows: FanoutRow[]): string {
  const split = rows.some((f) => f.load?.latencySameNode);
  const nodeCol = (f: FanoutRow, which: 'latencySameNode' | 'latencyCrossNode') => {
    const l = f.load?.[which];
    return l ? `${n(l.p50, 2)} / ${n(l.p99, 2)}` : '—';
  };
  return table(
    ['lane', 'members ready', 'fill s', 'deliveries/s', 'delivered/expected', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms',
      ...(split ? ['same-node p50 / p99 ms', 'cross-node p50 / p99 ms'] : []),
      'server µs/delivery', 'server RSS MB', 'server lag p99 ms', 'generator CPU'],
    rows.map((f) => [
      f.lane, n(f.fill.ready), n(f.fill.elapsedMs / 1000, 1),
      n(f.load?.deliveriesPerSec), f.load ? `${n(f.load.delivered)} / ${n(f.load.expected)} (${pct(f.load.deliveredRatio)})` : 'n/a',
      n(f.load?.latency.p50, 2), n(f.load?.latency.p95, 2), n(f.load?.latency.p99, 2), n(f.load?.latency.max, 2),
      ...(split ? [nodeCol(f, 'latencySameNode'), nodeCol(f, 'latencyCrossNode')] : []),
      n(f.serverCpuUsPerDelivery, 2), n(f.serverRssMb, 1), n(f.serverLagP99Ms, 1),
      f.load ? f.load.generatorCpu.join(', ') + (f.load.generatorSaturated ? ' (saturated)' : '') : 'n/a',
    ]),
  );
}

function ratiosLine(rows: FanoutRow[]): string {
  const p99 = (lane: string) => rows.find((r) => r.lane === lane)?.load?.latency.p99;
  const cpu = (lane: string) => rows.find((r) => r.lane === lane)?.serverCpuUsPerDelivery;
  return `Ratios (baseline ÷ ours, above 1 means ours is better): p99 latency ws-tutorial ÷ ours-ws ${ratio(p99('ws-tutorial'), p99('ours-ws'))}, ` +
    `ngIRCd ÷ ours-tcp ${ratio(p99('ngircd'), p99('ours-tcp'))}, ngIRCd ÷ ours-irc ${ratio(p99('ngircd'), p99('ours-irc'))}; ` +
    `server CPU per delivery ws-tutorial ÷ ours-ws ${ratio(cpu('ws-tutorial'), cpu('ours-ws'))}, ` +
    `ngIRCd ÷ ours-tcp ${ratio(cpu('ngircd'), cpu('ours-tcp'))}, ngIRCd ÷ ours-irc ${ratio(cpu('ngircd'), cpu('ours-irc'))}.`;
}

/** The measured window of each load, in seconds (2, the default, in runs that did not record it). */
function measureSec(r: BenchResults): number {
  return (r.measureMs ?? 2000) / 1000;
}

/** A cluster's CPU over a window, per unit of work: each node's µs, then Redis's. */
function clusterCpu(c: ClusterWindow | undefined, units: number | null | undefined): string {
  if (!c || !units) return 'n/a';
  const per = (us: number) => n(us / units, 2);
  return `${c.nodeCpuUs.map((us, i) => `n${i} ${per(us)}`).join(', ')}, Redis ${per(c.redisCpuUs)}`;
}

function clusterCpuShares(c: ClusterWindow | undefined, windowMs: number): string {
  if (!c) return 'n/a';
  const share = (us: number) => `${Math.round(us / (windowMs * 10))} %`;
  return `${c.nodeCpuUs.map((us, i) => `n${i} ${share(us)}`).join(', ')}, Redis ${share(c.redisCpuUs)}`;
}

function failoverSection(rows: FailoverRow[]): string[] {
  const f = rows[0]!;
  const s = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : n(v / 1000, 2));
  return [
    '## failover: SIGKILL node A of a 2-node cluster', '',
    `${n(f.requested)} clients connect to node A (rooms \`#fo0\`..\`#fo${f.rooms - 1}\`, ${n(Math.round(f.requested / f.rooms))} each, all also in #lobby); writers on node B`,
    `say ${n(f.msgRate)} messages/s over the rooms and a probe sits on B. After a second of that, the bench SIGKILLs A; at that moment the writers`,
    `also send ${n(f.result?.burstPerRoom ?? 0)} messages in every room, more than the 50 a join returns, so every client has to page history. Each`,
    'client then does what a real one would: connect to B at once, `hello` with the same nick, again every',
    `${n(f.retryMs)}–${n(f.retryMs * 1.5)} ms while it gets \`NICK_TAKEN\` (its old session holds the nick until A's lease, \`--node-lease ${f.leaseSec}\`, lapses and B reaps`,
    'it), `join` its room, and page `history` back to the last seq it had seen on A. A client is back when its pages reach that seq;',
    'a gap is a seq after it that neither history nor live delivery gave. Presence has converged when, after all are back, B\'s `who` for',
    'every room and #lobby lists exactly the live members (a dead session still listed, or a member missing, fails the round; rounds repeat',
    'every 0.1 s). One generator process (bench/gen/failover-worker.ts) parses every message. Times are from the SIGKILL.', '',
    table(
      ['lane', 'clients on A', 'all closed s', 'first / last welcome on B s', 'back p50 / p99 s', 'all back s', 'presence converged s',
        'with a gap', 'cut off again on B', 'NICK_TAKEN retries', 'history pages', 'acked during recovery', 'B / Redis CPU (of one core)'],
      rows.map((x) => {
        const r = x.result;
        return [
          x.lane, `${n(r?.clients ?? x.ready)}${x.ready < x.requested ? ` of ${n(x.requested)}` : ''}`, s(r?.allClosedMs),
          `${s(r?.firstWelcomeMs)} / ${s(r?.lastWelcomeMs)}`, `${s(r?.backP50Ms)} / ${s(r?.backP99Ms)}`,
          `${s(r?.allBackMs)}${r && r.back < r.clients ? ` (${n(r.back)} back)` : ''}`,
          r?.convergedMs !== null && r?.convergedMs !== undefined ? s(r.convergedMs) : `no (${r?.presenceMismatch ?? 'timed out'})`,
          n(r?.withGap), n(r?.lostAgain), n(r?.nickTakenRetries), n(r?.historyPages), n(r?.writtenDuringRecovery),
          `${x.nodeBCpu ?? 'n/a'} / ${x.redisCpu ?? 'n/a'}`,
        ];
      }),
    ), '',
    ...rows.filter((x) => x.result?.incidents?.length).map((x) => `- ${x.lane}, what the writers and the probe on B met (ms after the kill): ${x.result!.incidents.join('; ')}.`),
    '',
  ];
}

function slowSection(rows: SlowRow[]): string[] {
  const f = rows[0]!;
  const kb = (b: number) => `${n(b / 1024)} KiB`;
  const phase = (lane: string, name: string, l: SlowRow['load']) => [
    lane, name, l ? `${n(l.delivered)} / ${n(l.expected)} (${pct(l.deliveredRatio)})` : 'n/a',
    n(l?.latency.p50, 2), n(l?.latency.p99, 2), n(l?.latency.max, 2), n(l?.dropped),
  ];
  return [
    `## slow: ${n(f.stalledReady)} stalled readers beside ${n(f.fastReady)} fast ones`, '',
    `One room: ${n(f.fastReady)} fast readers (${f.senders} of them sending) and ${n(f.stalledReady)} readers that register, join and then stop`,
    'reading (the generator pauses their sockets, so the kernel buffers fill first, then the server\'s own).',
    `The senders offer ${n(f.msgRate)} messages/s of ${n(f.textLen)} characters for ${n(f.loadMs / 1000, 1)} s, open loop; the server runs with`,
    `\`--max-buffered-bytes ${f.maxBufferedBytes}\` (${kb(f.maxBufferedBytes)} of unsent output per connection before it is dropped).`,
    'Until it is dropped a stalled reader costs the server as much as a fast one. Drop times count from the first message and come from',
    'the server\'s `chat_slow_consumers_dropped_total`, read every 0.1 s; RSS is sampled from /proc as often. Kernel TCP memory is the',
    'growth of all TCP socket buffers on the machine (/proc/net/sockstat), both ends of every loopback socket.', '',
    'Our lanes only: the tutorial ws server has no slow-consumer handling (it buffers for a stalled reader without bound), and',
    'ngIRCd, which does cut a client whose write buffer passes a fixed limit ("Write buffer space exhausted"), is not measured here.', '',
    table(
      ['lane', 'stalled', 'dropped', 'first drop s', 'all dropped s', 'RSS before MB', 'RSS peak MB', 'RSS after MB', 'peak growth per stalled reader KB', 'kernel TCP peak MB'],
      rows.map((s) => [
        s.lane, n(s.stalledReady), n(s.dropped), n(s.firstDropSec, 1), n(s.allDroppedSec, 1), n(s.rssBeforeMb, 1), n(s.rssPeakMb, 1),
        n(s.rssAfterMb, 1), s.stalledReady ? n(((s.rssPeakMb - s.rssBeforeMb) * 1024) / s.stalledReady, 1) : 'n/a', n(s.kernelTcpPeakMb, 1),
      ]),
    ), '',
    'The fast readers: alone before the stalled readers join, during the load above, and right after it until the server has torn down',
    `the connections it dropped (it cuts them 3 s after their \`bye\`): ${rows.map((s) => `${s.lane} ${n(s.afterMs / 1000, 1)} s`).join(', ')}.`,
    'Delivered counts what arrived within 3 s of the last send.', '',
    table(
      ['lane', 'fast readers', 'delivered/expected', 'p50 ms', 'p99 ms', 'max ms', 'fast readers dropped'],
      rows.flatMap((s) => [phase(s.lane, 'alone', s.control), phase(s.lane, 'beside the stalled', s.load), phase(s.lane, 'after', s.after)])
        .filter((cells) => cells[2] !== 'n/a'),
    ), '',
  ];
}

function counted(c: Record<string, number>): string {
  const entries = Object.entries(c);
  const sum = entries.reduce((a, [, v]) => a + v, 0);
  return sum ? `${n(sum)} (${entries.map(([k, v]) => `${n(v)} ${k}`).join(', ')})` : '0';
}

function attackerOutcome(a: AttackRow): string {
  if (!a.outcome) return '—';
  const o = a.outcome;
  const parts = [`paced ${n(a.paced)}×`, `refused ${counted(o.refused)}`, `dropped ${counted(o.dropped)}`, `${n(o.answered)} / ${n(o.requests)} answered`];
  if (o.failedConnects) parts.push(`${n(o.failedConnects)} connects refused`);
  if (o.heldPeak !== undefined) parts.push(`${n(o.heldPeak)} held at once`);
  if (o.heldBack) parts.push(`${n(o.heldBack)} held back by TCP (server not reading)`);
  if (a.slowConsumersDropped) parts.push(`${n(a.slowConsumersDropped)} slow consumers dropped`);
  if (o.victimReceived !== undefined) parts.push(`victim got ${n(o.victimReceived)} DMs, ${o.victimDropped ? `**victim dropped (${o.victimDropped})**` : 'stayed'}`);
  return parts.join('; ');
}

function attacksSection(rows: AttackRow[]): string[] {
  const alone = rows.find((x) => x.attack === 'none');
  const secs = (x: AttackRow | undefined) => (x ? n(x.windowMs / 1000, 1) : 'n/a');
  const ordered = [...rows.filter((x) => x.attack === 'none'), ...rows.filter((x) => x.attack !== 'none')];
  return [
    '## attacks: a bystander under each attack', '',
    'The production build with its default limits (`dist/server/main.js` with only ports and a fresh data folder), one server for every row.',
    'The bystander is the attack report\'s: a TCP JSON client in a process of its own that sends `ping` 10 times a second (half the allowed',
    `rate) and, like everyone, is a member of #lobby. It is measured alone for ${secs(alone)} s, then for ${secs(rows.find((x) => x.attack !== 'none'))} s under each attack in turn;`,
    'set-up (filling a room, creating rooms) is not measured, and answers still due at the end of a window are waited for. Attacker outcome:',
    '"paced" is how often the server stopped reading a connection in the window (`chat_input_paused_total`), "refused" the errors the',
    'attackers got, "dropped" the attacker connections the server ended (by `bye` reason). Server RSS is the peak of samples every 0.1 s;',
    'CPU is the share of one core over the window. The generators are bench/attacks/*.ts; `npm run soak` runs them all at once for 10 minutes.', '',
    table(
      ['attack', 'bystander p50 ms', 'p99 ms', 'max ms', 'answered / sent', 'bystander refused / dropped', 'attacker outcome', 'server RSS peak MB', 'server CPU %'],
      ordered.map((x) => [
        x.attack === 'none' ? 'none (alone)' : x.attack, n(x.bystander.rtt.p50, 2), n(x.bystander.rtt.p99, 2), n(x.bystander.rtt.max, 1),
        `${n(x.bystander.answered)} / ${n(x.bystander.sent)}`, `${n(x.bystander.refused)} / ${x.bystander.dropped ?? 0}`,
        attackerOutcome(x), n(x.rssPeakMb, 1), n(x.cpuPct),
      ]),
    ), '',
    ...rows.filter((x) => x.attack !== 'none').map((x) => `- \`${x.attack}\`: ${x.describe}.`), '',
  ];
}

export function renderMarkdown(r: BenchResults): string {
  const m = r.machine;
  const out: string[] = [];
  out.push('# Benchmarks', '');
  out.push('Generated by `npm run bench` (bench/run.ts); do not edit by hand. Numbers come from one run on a shared machine,');
  out.push('so compare the lanes of one run (ratios), not runs with each other. What limits each missed target, with the', 'measurements that show it: [performance.md](performance.md).', '');
  out.push(`- Run: ${r.startedAt}, ${Math.round(r.durationSec)} s`);
  out.push(`- Command: \`${r.command}\``);
  out.push(`- Machine: ${m.nproc} cores (${m.cpu}), ${m.memGiB} GiB memory, Node ${m.node}, Linux ${m.kernel}, open-files limit ${m.openFilesLimit}`);
  out.push('- Lanes: `ours-ws` and `ours-tcp` are the production build (`dist/server/main.js --rate-limit 0 --room-rate 0`, fresh data folder) over WebSocket and TCP JSON lines;');
  out.push('  `ours-irc` is the same build with `--irc-port 0`, driven over IRC by the generator that drives ngIRCd (NICK/USER, JOIN until 366, PRIVMSG; no CAP);');
  out.push('  `ws-tutorial` is bench/baselines/ws-broadcast.ts (`wss.clients.forEach(c => c.send(data))`); `ngircd` is ngIRCd with bench/baselines/ngircd.conf, driven over IRC.');
  out.push('- Cluster lanes (issue 9): `ours-ws-r1` / `ours-ws-r2` (and `-tcp-`) start a redis-server (unix socket, `--appendonly yes --appendfsync always --save ""`,');
  out.push('  `--maxmemory-policy noeviction`) and 1 or 2 nodes of the same build with the same flags plus `--redis <socket>`; connection i goes to node i mod N,');
  out.push('  so with 2 nodes half of every room is on each. Same-node latency is a delivery whose sender is on the receiver\'s node, cross-node one');
  out.push('  that went through Redis to the other node. Server CPU there is the nodes\' (/proc) plus Redis\'s (`INFO cpu` deltas).');
  out.push('  `-before` lanes run the build from before the cluster engine (`--before-dist`), to compare the single node in the same run.');
  out.push('- Load: bench/gen, raw sockets in separate processes, open loop (latency from the scheduled send time), 64-character messages.', '');
  out.push('## Targets (issue 4)', '');
  out.push(table(['metric', 'target', 'measured', 'status'], checkTargets(r).map((t) => [t.metric, t.target, t.measured, t.status])), '');
  const clusterChecks = checkClusterTargets(r);
  if (clusterChecks.some((t) => t.status !== 'not measured')) {
    out.push('## Targets (issue 9, cluster mode)', '');
    out.push(table(['metric', 'target', 'measured', 'status'], clusterChecks.map((t) => [t.metric, t.target, t.measured, t.status])), '');
  }
  const ircChecks = checkIrcTargets(r);
  if (ircChecks.some((t) => t.status !== 'not measured')) {
    out.push('## Targets (issue 11, IRC listener)', '');
    out.push(table(['metric', 'target', 'measured', 'status'], ircChecks.map((t) => [t.metric, t.target, t.measured, t.status])), '');
  }
  if (r.saturate.length) {
    out.push('## saturate: highest rate held', '');
    out.push('Fanout at rising offered rates; a step is held when p99 ≤ 250 ms and ≥ 99 % are delivered.', '');
    const held = (lane: string) => r.saturate.find((s) => s.lane === lane)?.held?.deliveriesPerSec;
    out.push(table(
      ['lane', 'members', 'senders', 'highest held deliveries/s', 'p99 there ms', 'stopped because', 'ours-ws ÷ lane', 'ours-tcp ÷ lane'],
      r.saturate.map((s) => [
        s.lane, n(s.fillReady), n(s.senders), n(s.held?.deliveriesPerSec), n(s.held?.p99, 1), s.stopReason,
        ratio(held('ours-ws'), s.held?.deliveriesPerSec), ratio(held('ours-tcp'), s.held?.deliveriesPerSec),
      ]),
    ), '');
    out.push('![latency percentiles against offered rate](bench-latency.svg)', '');
    out.push('<details><summary>every step</summary>', '');
    out.push(table(
      ['lane', 'offered/s', 'delivered/s', 'delivered', 'p50 ms', 'p99 ms', 'max ms', 'same / cross-node p50 ms', 'server µs/delivery',
        'cluster µs/delivery', 'generator CPU', 'held'],
      r.saturate.flatMap((s) => s.steps.map((st) => [
        s.lane, n(st.offeredRate), n(st.deliveriesPerSec), pct(st.deliveredRatio), n(st.p50, 2), n(st.p99, 2), n(st.max, 1),
        st.sameNode && st.crossNode ? `${n(st.sameNode.p50, 2)} / ${n(st.crossNode.p50, 2)}` : '—',
        n(st.serverCpuUsPerDelivery, 2), st.cluster ? clusterCpu(st.cluster, st.deliveriesPerSec * measureSec(r)) : '—',
        st.generatorCpu.join(', ') + (st.generatorSaturated ? ' (saturated)' : ''), st.held ? 'yes' : 'no',
      ])),
    ), '', '</details>', '');
  }
  for (const [title, rows] of [['fanout', r.fanout], ['fanout, large room', r.fanoutLarge]] as const) {
    if (!rows.length) continue;
    const f = rows[0]!;
    out.push(`## ${title}: ${n(f.members)} members, ${f.senders} senders, ${n(f.offeredRate)} deliveries/s offered`, '');
    out.push(fanoutTable(rows), '', ratiosLine(rows), '');
    const clustered = rows.filter((x) => x.cluster && x.load);
    if (clustered.length) {
      out.push('Cluster lanes, where the server CPU went (µs per delivery; share of one core over the window):', '');
      out.push(table(['lane', 'µs per delivery', 'share of a core', 'node lag p99 ms', 'node RSS MB'], clustered.map((x) => [
        x.lane, clusterCpu(x.cluster, x.load!.deliveriesPerSec * measureSec(r)), clusterCpuShares(x.cluster, measureSec(r) * 1000),
        x.cluster!.nodeLagP99Ms.map((l) => n(l, 1)).join(', '), x.cluster!.nodeRssMb.map((m) => n(m, 1)).join(', '),
      ])), '');
    }
  }
  if (r.idle.length) {
    out.push('## idle: registered connections held', '');
    out.push('Existing clients: a room of 100 members with 2 senders at 20 messages/s in all, measured for 1.5 s alone and then',
      'for the first 3 s of the fill (not on the tutorial server, which has no rooms).', '');
    const probe = (l: LoadResult | null | undefined) => (l ? `${n(l.latency.p50, 1)} / ${n(l.latency.p99, 1)} (${pct(l.deliveredRatio)})` : 'n/a');
    out.push(table(
      ['lane', 'requested', 'registered', 'failed', 'set-up s', 'handshakes/s', 'set-up p50 ms', 'set-up p99 ms', 'RSS before MB', 'RSS after MB', 'RSS per connection KB',
        'existing clients alone p50 / p99 ms', 'during the fill p50 / p99 ms'],
      r.idle.map((i) => [
        i.lane, n(i.requested), n(i.ready), n(i.failed) + (i.firstError ? ` (${i.firstError})` : ''), n(i.elapsedMs / 1000, 1),
        n(i.handshakesPerSec), n(i.handshake.p50, 1), n(i.handshake.p99, 1), n(i.rssBeforeMb, 1), n(i.rssAfterMb, 1), n(i.rssPerConnKb, 2),
        probe(i.probeAlone), probe(i.probeDuring),
      ]),
    ), '');
  }
  if (r.ingest.length) {
    out.push('## ingest: many senders, many rooms, say with ref', '');
    out.push(table(
      ['lane', 'senders', 'rooms', 'offered msg/s', 'ack means', 'acked msg/s', 'ack p50 ms', 'ack p99 ms', 'delivered', 'server lag p99 ms', 'server µs/message'],
      r.ingest.map((i) => [
        i.appendfsync ? `${i.lane} (appendfsync ${i.appendfsync})` : i.lane, n(i.ready), n(i.rooms), n(i.offeredRate), i.ackKind,
        i.load && i.ackKind !== 'none' ? n(i.load.acksPerSec) : 'n/a',
        i.load && i.ackKind !== 'none' ? n(i.load.ackLatency.p50, 2) : 'n/a', i.load && i.ackKind !== 'none' ? n(i.load.ackLatency.p99, 2) : 'n/a',
        i.load ? pct(i.load.deliveredRatio) : 'n/a', n(i.serverLagP99Ms, 1), n(i.serverCpuUsPerMessage, 1),
      ]),
    ), '');
    const clustered = r.ingest.filter((i) => i.cluster && i.load);
    if (clustered.length) {
      out.push('Cluster lanes, where the server CPU went (µs per message sent; share of one core over the window):', '');
      out.push(table(['lane', 'appendfsync', 'µs per message', 'share of a core', 'node lag p99 ms'], clustered.map((i) => [
        i.lane, i.appendfsync ?? 'n/a', clusterCpu(i.cluster, i.load!.sent), clusterCpuShares(i.cluster, measureSec(r) * 1000),
        i.cluster!.nodeLagP99Ms.map((l) => n(l, 1)).join(', '),
      ])), '');
    }
  }
  const clusterIdle = r.idle.filter((i) => i.cluster);
  if (clusterIdle.length) {
    out.push('Cluster lanes, per node (connection i on node i mod N) and in Redis (`INFO memory` used_memory, before and after the fill):', '');
    out.push(table(['lane', 'connections per node', 'RSS per connection per node KB', 'Redis used_memory before / after MB', 'Redis bytes per session'],
      clusterIdle.map((i) => [
        i.lane, i.cluster!.nodeConns.map((c) => n(c)).join(', '), i.cluster!.nodeRssPerConnKb.map((k) => n(k, 2)).join(', '),
        `${n(i.cluster!.redisUsedBefore / 2 ** 20, 1)} / ${n(i.cluster!.redisUsedAfter / 2 ** 20, 1)}`, n(i.cluster!.redisBytesPerSession),
      ])), '');
  }
  if (r.failover?.length) out.push(...failoverSection(r.failover));
  if (r.slow.length) out.push(...slowSection(r.slow));
  if (r.attacks?.length) out.push(...attacksSection(r.attacks));
  if (r.notes.length) out.push('## Notes', '', ...r.notes.map((x) => `- ${x}`), '');
  out.push('## Running it', '');
  out.push('`npm run bench` builds and runs every scenario with its quick defaults (each under a minute per lane).');
  out.push('ngIRCd is used when installed (`apt-get install ngircd`), otherwise its lane is skipped with a note.');
  out.push('Each process may hold as many sockets as the open-files limit (`ulimit -n`) allows, less 200; Node cannot');
  out.push('raise its own limit, so raise it in the shell before a large run. Larger runs, for example:', '');
  out.push('```', 'ulimit -n 110000 && npm run bench -- --scenarios idle   # 100,000 idle connections',
    'npm run bench -- --scenarios saturate --members 1000 --measure 3',
    'npm run bench -- --scenarios slow --slow-stalled 5000 --slow-buffer 262144',
    'npm run bench -- --lanes ours-ws,ours-ws-r1,ours-ws-r2 --scenarios fanout,saturate,ingest,failover   # cluster mode',
    '```', '');
  out.push('```', HELP, '```', '');
  return out.join('\n');
}
