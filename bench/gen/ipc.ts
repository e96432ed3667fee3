/** Messages between the bench (parent) and its generator processes. */
import type { SparseCounts } from './histogram.js';
import type { Transport } from './conn.js';

export interface HistData {
  counts: SparseCounts;
  max: number;
  sum: number;
}

export interface ConnectCmd {
  cmd: 'connect';
  transport: Transport;
  host: string;
  /** Connection i goes to ports[i % ports.length] (several on a cluster: one per node, round-robin). */
  ports: number[];
  localAddresses: string[];
  nickPrefix: string;
  /** Global index of this process's first connection; member i joins rooms[i % rooms.length]. */
  first: number;
  count: number;
  rooms: string[];
  concurrency: number;
  timeoutMs: number;
}

export interface LoadCmd {
  cmd: 'load';
  epochMs: number;
  /** µs since epochMs: sending starts here; only messages scheduled at or after measureFromUs count. */
  startUs: number;
  measureFromUs: number;
  endUs: number;
  /** Messages per second from this process, spread over its first `senders` connections. */
  msgRate: number;
  senders: number;
  textLen: number;
  withRef: boolean;
}

export interface DrainCmd {
  cmd: 'drain';
  /** Measured messages sent to each room by all processes. */
  totalSentByRoom: Record<string, number>;
  timeoutMs: number;
}

export interface CloseCmd {
  cmd: 'close';
}

/** Stop reading on every connection, so the server's writes pile up in the kernel and then in its buffers. */
export interface StallCmd {
  cmd: 'stall';
}

export type ParentCmd = ConnectCmd | LoadCmd | DrainCmd | CloseCmd | StallCmd;

export interface ConnectedReply {
  type: 'connected';
  ready: number;
  failed: number;
  firstError: string | null;
  /** Wall time from the first connect to the last ready, ms. */
  elapsedMs: number;
  handshake: HistData;
}

export interface SentReply {
  type: 'sent';
  sentByRoom: Record<string, number>;
  sendLagMaxMs: number;
}

export interface ResultReply {
  type: 'result';
  delivered: number;
  expected: number;
  latency: HistData;
  /** On a cluster: latency of deliveries whose sender was on the receiver's node, and on another node. */
  latencySameNode: HistData;
  latencyCrossNode: HistData;
  acks: number;
  acksExpected: number;
  ackLatency: HistData;
  dropped: number;
  /** This process's CPU over the load and drain, as a fraction of one core. */
  cpu: number;
  loopDelayP99Ms: number;
  firstAckUs: number;
  lastAckUs: number;
}

export interface StalledReply {
  type: 'stalled';
  paused: number;
}

export type WorkerReply = ConnectedReply | SentReply | ResultReply | StalledReply | { type: 'error'; message: string };
