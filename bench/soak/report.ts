/** The soak's summary, as markdown (ready for docs/security.md). */
import type { AttackOutcome } from '../attacks/attack.js';
import type { SoakResult } from '../soak.js';

const n = (v: number | null | undefined, digits = 0) =>
  v === null || v === undefined || Number.isNaN(v) ? 'n/a' : v.toLocaleString('en-US', { maximumFractionDigits: digits });

const counts = (c: Record<string, number>) => (Object.keys(c).length ? Object.entries(c).map(([k, v]) => `${n(v)} ${k}`).join(', ') : 'none');

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function attackOutcomeLine(o: AttackOutcome): string {
  const parts = [`${n(o.connections)} connections${o.failedConnects ? ` (+${n(o.failedConnects)} refused at connect)` : ''}`, `${n(o.requests)} sent`, `${n(o.answered)} answered`];
  parts.push(`refused: ${counts(o.refused)}`, `dropped: ${counts(o.dropped)}`);
  if (o.heldPeak !== undefined) parts.push(`held at once: ${n(o.heldPeak)}`);
  if (o.heldBack) parts.push(`${n(o.heldBack)} not sent while the server was not reading`);
  if (o.victimReceived !== undefined) parts.push(`victim got ${n(o.victimReceived)} DMs, ${o.victimDropped ? `victim DROPPED (${o.victimDropped})` : 'victim connected'}`);
  return parts.join('; ');
}

export function renderSoak(r: SoakResult): string {
  const s = r.server;
  const c = r.churn;
  const b = r.bystander;
  const m = r.machine;
  const attackConns = r.attacks.reduce((a, x) => a + x.outcome.connections, 0);
  const attackFailed = r.attacks.reduce((a, x) => a + x.outcome.failedConnects, 0);
  const out: string[] = [];
  out.push(`### Soak: ${r.startedAt}`, '');
  out.push(`- Command: \`${r.command}\` (${n(r.durationSec)} s of load)`);
  out.push(`- Machine: ${m.nproc} cores (${m.cpu}), ${m.memGiB} GiB memory, Node ${m.node}, Linux ${m.kernel}, ulimit -n ${m.openFilesLimit}, load average ${m.loadAvg1.toFixed(2)} at the end`);
  out.push(`- Attacks: ${r.attacks.map((a) => a.name).join(', ') || 'none'}`, '');
  out.push(table(['figure', 'value'], [
    ['connections opened', `${n(c.opened)} ordinary (${n(c.byTransport.tcp)} TCP JSON, ${n(c.byTransport.ws)} WebSocket, ${n(c.byTransport.text)} text), ${n(c.failed)} failed${c.failed ? ` (${counts(c.failReasons)})` : ''}; ${n(attackConns)} by attackers (${n(attackFailed)} failed)`],
    ['`say` (JSON, with ref) sent / acked / refused / refused just after a kick or ban / unanswered at disconnect', `${n(c.says.sent)} / ${n(c.says.acked)} / ${counts(c.says.refused)} / ${n(c.says.afterKick)} / ${n(c.says.unanswered)}`],
    ['accounts (logged in / registered / used as a guest nick) and moderation', `${n(c.accounts.loggedIn)} / ${n(c.accounts.registered)} / ${n(c.accounts.asGuest)}; the moderator kicked ${n(r.moderation.kicks)} and banned ${n(r.moderation.bans)} (30 s), clients made to leave ${n(c.removed)} times`],
    ['text-mode lines said / seen delivered / not seen by disconnect', `${n(c.textSays.sent)} / ${n(c.textSays.echoed)} / ${n(c.textSays.unechoed)}`],
    ['`history` / `nick` / `part` sent', `${n(c.history)} / ${n(c.nicks)} / ${n(c.parts)}`],
    ['endings', `${n(c.endings.quit)} quit, ${n(c.endings.dropped)} dropped their socket`],
    ['other errors to ordinary clients', counts(c.otherErrors)],
    ['**lost acks** (acked or delivered, missing from history)', `**${n(r.history.lostAcked + r.history.lostEchoed)}** of ${n(r.history.acked)} acked + ${n(r.history.echoed)} text-mode, in ${n(r.history.rooms)} rooms (${n(r.history.pages)} pages in ${n(r.history.elapsedMs / 1000, 1)} s${r.history.failedRanges ? `; ${r.history.failedRanges} ranges UNREAD` : ''})`],
    ['**unexpected `bye`** (ordinary clients, bystander, victim)', `**${counts(c.unexpected)}**; bystander ${b.dropped ?? 'connected'}; victim ${r.attacks.find((a) => a.outcome.victimReceived !== undefined)?.outcome.victimDropped ?? (r.attacks.some((a) => a.name === 'dm-victim') ? 'connected' : 'n/a')}`],
    ['server RSS', `start ${n(s.rssStartMb, 1)} MB, peak ${n(s.rssPeakMb, 1)} MB, second half ${n(s.rssPlateauMb[0], 1)}–${n(s.rssPlateauMb[1], 1)} MB, end ${n(s.rssEndMb, 1)} MB (clients gone)`],
    ['server fds', `${n(s.fdsBefore)} before, ${n(s.fdsDuring[0])}–${n(s.fdsDuring[1])} during, **${n(s.fdsAfter)} after**`],
    ['server CPU (per sample)', `${n(s.cpuPct[0])}–${n(s.cpuPct[1])} %; event-loop lag p99 at most ${n(s.lagP99MaxMs, 1)} ms`],
    ['server counters at the end', `${n(s.slowConsumersDropped)} slow consumers dropped, ${n(s.rateLimited)} rate-limited, reading paused ${n(s.inputPaused)} times`],
    ['history database', `${n(s.dbMb, 1)} MB`],
    ['bystander ping RTT', `p50 ${n(b.rtt.p50, 2)} ms, p99 ${n(b.rtt.p99, 2)} ms, max ${n(b.rtt.max, 1)} ms; ${n(b.answered)} / ${n(b.sent)} answered, ${n(b.refused)} refused`],
  ]), '');
  if (r.attacks.length) {
    out.push(table(['attack', 'what it did', 'outcome'], r.attacks.map((a) => [a.name, a.describe, attackOutcomeLine(a.outcome)])), '');
  }
  out.push(`Every ${n(r.options.sampleMs / 1000)} s (RSS MB / fds / CPU % / bystander p99 ms so far):`, '');
  out.push(r.samples.map((x) => `${x.rssMb}/${x.fds}/${x.cpuPct}/${x.bystanderP99Ms}`).join(', '), '');
  out.push(r.failures.length ? `**FAILED:** ${r.failures.join('; ')}` : '**Passed:** nobody who did nothing wrong was dropped or refused, no acked message was lost, descriptors came back.', '');
  return out.join('\n');
}
