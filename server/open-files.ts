/**
 * How many client sockets the process can hold: --max-connections plus a margin, but never more than
 * the open-files limit allows once the store, the writer thread, logs, the listeners, an admin port
 * and refusals being answered have their descriptors.
 */
import { readFileSync } from 'node:fs';

/** Sockets past --max-connections still accepted, to be told SERVER_FULL (at least this many, or 10 %). */
export const SOCKET_MARGIN_MIN = 64;
/** Descriptors kept for everything but client sockets: ~30 at start-up (store, writer, loop, stdio). */
const RESERVED_FDS = 64;
/** Refused sockets being answered at once; past this they are dropped without an answer. */
export const REFUSALS_IN_FLIGHT = 64;
/** And a share of the limit, for whatever grows with it. */
const RESERVED_SHARE = 0.02;

export interface SocketBudget {
  /** Client sockets held at once, on both listeners together. */
  socketCap: number;
  /** The hub's connection limit: below the cap, so that there is room to answer SERVER_FULL. */
  maxConnections: number;
  /** Whether the open-files limit lowered --max-connections. */
  clamped: boolean;
}

const margin = (connections: number) => Math.max(SOCKET_MARGIN_MIN, Math.ceil(connections / 10));

export function socketBudget(maxConnections: number, openFilesLimit: number | null): SocketBudget {
  const wanted = maxConnections + margin(maxConnections);
  if (openFilesLimit === null) return { socketCap: wanted, maxConnections, clamped: false };
  const reserved = RESERVED_FDS + REFUSALS_IN_FLIGHT + Math.ceil(openFilesLimit * RESERVED_SHARE);
  const available = Math.max(1, openFilesLimit - reserved);
  if (wanted <= available) return { socketCap: wanted, maxConnections, clamped: false };
  // The largest limit whose margin still fits: limit + margin(limit) <= available.
  const clampedTo = Math.max(1, Math.min(available - SOCKET_MARGIN_MIN, Math.floor(available / 1.1)));
  return { socketCap: available, maxConnections: Math.min(maxConnections, clampedTo), clamped: true };
}

/** The soft RLIMIT_NOFILE from /proc/self/limits (Linux), or null when unknown or unlimited. */
export function readOpenFilesLimit(path = '/proc/self/limits'): number | null {
  try {
    return parseOpenFilesLimit(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

export function parseOpenFilesLimit(limits: string): number | null {
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(limits);
  return m && m[1] !== 'unlimited' ? Number(m[1]) : null;
}
