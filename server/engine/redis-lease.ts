/**
 * This node's identity in the cluster: a lease key `chat:node:<id>` that a heartbeat keeps alive, and
 * the reaper that takes back what nodes whose lease lapsed held.
 *
 * Losing the lease is final for that id: the node is fenced (every write script refuses it), reports it
 * once, takes a NEW id and lease, and reaps its old id at once. The one exception is a Redis outage:
 * after a reconnect the node may re-take its own lease, but only while nobody has acted on its absence
 * (no dead marker: see the scripts). Reapers, likewise, wait one full lease after their own (re)connect
 * before reaping anyone, so that the living have re-taken their leases first.
 */
import { nanoid } from 'nanoid';
import type { Logger } from '../log.js';
import { reapNode } from './redis-reaper.js';
import { deadMarker, leaseKey, NODES, type ScriptedRedis } from './redis-scripts.js';

export interface LeaseOptions {
  leaseMs: number;
  nodeName?: string;
  busMaxLen: number;
  log: Logger;
  /** The lease of `oldNode` is gone: the node now runs as the new id. Called once per lost id. */
  onFenced(oldNode: string, reason: string): void;
  /** The new id's lease is held (after fencing): e.g. listen for DMs under it. */
  onNewId(node: string): Promise<void>;
}

export class NodeLease {
  node: string;
  held = false;
  fencedCount = 0;
  reaps = 0;
  private confirmedAt = 0;
  private connectedSince: number | null = null;
  private reconnected = false;
  private everConnected = false;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private beating = false;
  private reaping = false;
  /** Set while a new id's lease is being taken; writes wait for it. */
  acquiring: Promise<void> | null = null;

  constructor(private readonly cmd: ScriptedRedis, private readonly opts: LeaseOptions) {
    this.node = newNodeId(opts.nodeName);
  }

  /** Takes the first lease; throws when Redis refuses it. */
  async start(): Promise<void> {
    await this.takeFresh();
    const beat = setInterval(() => void this.heartbeat(), Math.max(10, Math.floor(this.opts.leaseMs / 4)));
    const reap = setInterval(() => void this.reapTick(), Math.max(10, Math.floor(this.opts.leaseMs / 2)));
    beat.unref();
    reap.unref();
    this.timers.push(beat, reap);
  }

  /** The command connection is ready (first time, or again after an outage). */
  connected(): void {
    if (this.connectedSince !== null) return;
    // Only a reconnect may re-take the lease; at the first connect it was just taken.
    this.reconnected = this.everConnected;
    this.everConnected = true;
    this.connectedSince = Date.now();
  }

  disconnected(): void {
    this.connectedSince = null;
  }

  get isConnected(): boolean {
    return this.connectedSince !== null;
  }

  /** Held, as far as this node knows: confirmed by Redis within the last lease. */
  get leaseHeld(): boolean {
    return this.held && Date.now() - this.confirmedAt < this.opts.leaseMs;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
  }

  /** A script answered FENCED for `node`: if that is still this node's id, it is fenced now. */
  fence(node: string, reason: string): void {
    if (node !== this.node || this.stopped) return;
    this.fencedCount++;
    this.held = false;
    this.node = newNodeId(this.opts.nodeName);
    this.opts.log.error({ old: node, node: this.node, reason }, 'this node lost its cluster lease: fenced, continuing under a new id');
    this.acquiring = this.takeNewId(node).finally(() => { this.acquiring = null; });
    this.opts.onFenced(node, reason);
  }

  private async takeFresh(): Promise<void> {
    for (;;) {
      const ok = await this.cmd.chatTakeLease(leaseKey(this.node), deadMarker(this.node), NODES, this.node, this.opts.leaseMs, '1');
      if (ok === 1) break;
      this.node = newNodeId(this.opts.nodeName); // an id clash: never in practice
    }
    this.held = true;
    this.confirmedAt = Date.now();
  }

  private async takeNewId(old: string): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.takeFresh();
        await this.opts.onNewId(this.node);
        break;
      } catch (err) {
        this.opts.log.warn({ err: (err as Error).message }, 'taking a new lease failed; retrying');
        await new Promise((r) => setTimeout(r, Math.min(100 * attempt, 1000)));
      }
    }
    // The old id's lease is gone: free its members and nicks now rather than after the reapers' wait.
    reapNode(this.cmd, old, this.opts.busMaxLen).then(
      (done) => { if (done) this.reaps++; },
      (err: Error) => this.opts.log.warn({ err: err.message, node: old }, 'reaping the old id failed (the reapers will)'),
    );
  }

  private async heartbeat(): Promise<void> {
    if (this.stopped || this.acquiring || this.beating) return;
    this.beating = true;
    const node = this.node;
    const after = this.reconnected;
    try {
      let ok = await this.cmd.chatHeartbeat(leaseKey(node), NODES, node, this.opts.leaseMs);
      if (ok !== 1 && after) {
        ok = await this.cmd.chatTakeLease(leaseKey(node), deadMarker(node), NODES, node, this.opts.leaseMs, '0');
        if (ok === 1) this.opts.log.info({ node }, 'lease re-taken after a Redis outage');
      }
      if (after) this.reconnected = false;
      if (node !== this.node) return;
      if (ok === 1) {
        this.held = true;
        this.confirmedAt = Date.now();
      } else {
        this.fence(node, 'lease lost');
      }
    } catch {
      // Redis unreachable: health says so; the next beat tries again.
    } finally {
      this.beating = false;
    }
  }

  private async reapTick(): Promise<void> {
    if (this.stopped || this.reaping || this.connectedSince === null || Date.now() - this.connectedSince < this.opts.leaseMs) return;
    this.reaping = true;
    try {
      const dead = await this.cmd.chatExpiredNodes(NODES);
      for (const node of dead) {
        if (node === this.node || this.stopped) continue;
        if (await reapNode(this.cmd, node, this.opts.busMaxLen)) {
          this.reaps++;
          this.opts.log.info({ node }, 'reaped a node whose lease lapsed');
        }
      }
    } catch (err) {
      this.opts.log.debug({ err: (err as Error).message }, 'reaper pass failed');
    } finally {
      this.reaping = false;
    }
  }
}

/** `<name>-<random>` or `<random>`; the name keeps only characters that cannot clash with separators. */
export function newNodeId(name?: string): string {
  const prefix = (name ?? '').replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 32);
  const id = nanoid(12);
  return prefix ? `${prefix}-${id}` : id;
}
