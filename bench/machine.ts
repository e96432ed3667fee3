import os from 'node:os';
import { openFilesLimit } from './targets/proc-stats.js';
import type { Machine } from './results.js';

export function describeMachine(): Machine {
  return {
    nproc: os.availableParallelism(),
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    kernel: os.release(),
    openFilesLimit: openFilesLimit(),
    loadAvg1: os.loadavg()[0]!,
  };
}
