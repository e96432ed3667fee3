/** CPU and memory of a server process, read from /proc (Linux), and its Prometheus lag figure. */
import { readFileSync } from 'node:fs';
import http from 'node:http';

const CLOCK_TICK_US = 10_000; // USER_HZ is 100 on Linux.

export interface ProcSample {
  cpuUs: number;
  rssKb: number;
  wallMs: number;
}

/** A zero sample when the process is gone, so a dead server ends a scenario instead of the bench. */
export function sampleProcess(pid: number): ProcSample {
  try {
    return readSample(pid);
  } catch {
    return { cpuUs: 0, rssKb: 0, wallMs: performance.now() };
  }
}

function readSample(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the ")" of the command name: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = /VmRSS:\s+(\d+)/.exec(status);
  return { cpuUs: ticks * CLOCK_TICK_US, rssKb: rss ? Number(rss[1]) : 0, wallMs: performance.now() };
}

/** The soft open-files limit of this process (children inherit it). */
export function openFilesLimit(): number {
  try {
    const m = /Max open files\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m && m[1] !== 'unlimited' ? Number(m[1]) : 1_048_576;
  } catch {
    return 1024;
  }
}

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('metrics timeout')));
    req.on('error', reject);
  });
}

/**
 * Event-loop lag p99 in ms since the previous scrape (prom-client resets its delay histogram on each
 * collection), or null when there is no endpoint or no such metric.
 */
export async function scrapeLagP99Ms(url: string | null): Promise<number | null> {
  if (!url) return null;
  try {
    const m = /^nodejs_eventloop_lag_p99_seconds\s+(\S+)/m.exec(await get(url));
    return m ? Math.round(Number(m[1]) * 1e5) / 100 : null;
  } catch {
    return null;
  }
}

/** The value of one unlabelled metric (a counter or gauge), or null when there is none. */
export async function scrapeMetric(url: string | null, name: string): Promise<number | null> {
  if (!url) return null;
  try {
    const m = new RegExp(`^${name}\\s+(\\S+)`, 'm').exec(await get(url));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

const PAGE_KB = 4;

/**
 * Memory of all TCP socket buffers on this machine (/proc/net/sockstat, in 4 KiB pages): where the bytes
 * a stalled reader does not take wait before they reach the server's own buffers.
 */
export function kernelTcpMemKb(): number {
  try {
    const m = /^TCP:.* mem (\d+)/m.exec(readFileSync('/proc/net/sockstat', 'utf8'));
    return m ? Number(m[1]) * PAGE_KB : 0;
  } catch {
    return 0;
  }
}
