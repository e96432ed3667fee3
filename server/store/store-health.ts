/**
 * Whether messages can be stored now, and why not: what /healthz reports. It is the store's real state
 * as last seen, not a fresh probe: a failed commit (a full disk, say) counts until a later commit
 * succeeds or a new writer starts.
 */
import { performance } from 'node:perf_hooks';
import type { DatabaseFile } from './database-file.js';
import type { HistoryWriter, WriterState } from './history-writer.js';

export interface StoreReport {
  /** False while messages cannot be stored; `problems` then says why. */
  writable: boolean;
  problems: string[];
  writer: WriterState;
  writerRestarts: number;
  /** 'present', or what happened to the file ("chat.db was deleted"). */
  database: string;
  lastCommit: { ok: boolean; ageSeconds: number; error?: string } | null;
  lastError: { message: string; ageSeconds: number } | null;
}

export function storeReport(writer: HistoryWriter, database: DatabaseFile, now = performance.now()): StoreReport {
  const status = writer.status();
  const age = (at: number) => Math.round(now - at) / 1000;
  const problems: string[] = [];
  if (database.problem) problems.push(`history database: ${database.problem}`);
  if (status.state !== 'up') problems.push(`history writer is ${status.state}`);
  const last = status.lastCommit;
  // A failure before the current writer came up was that writer's predecessor's.
  if (last && !last.ok && status.upSince !== null && last.at >= status.upSince) {
    problems.push(`the last commit failed ${age(last.at)} s ago: ${last.error}`);
  }
  return {
    writable: problems.length === 0,
    problems,
    writer: status.state,
    writerRestarts: status.restarts,
    database: database.problem ?? 'present',
    lastCommit: last && { ok: last.ok, ageSeconds: age(last.at), ...(last.error ? { error: last.error } : {}) },
    lastError: status.lastError && { message: status.lastError.message, ageSeconds: age(status.lastError.at) },
  };
}
