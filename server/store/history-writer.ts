/**
 * Appends messages to history from a worker thread. Batches are committed one at a time, in the order
 * they are given; each resolves once its transaction is durable, or rejects with SQLite's error.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { StoredMessage } from './history-store.js';

type Row = [roomKey: string, seq: number, id: string, sender: string, text: string, ts: number, action: number];

export interface WriterRequest { id: number; rows: Row[] }
export interface WriterReply { id: number; ok: boolean; error?: string; seconds: number }

export class HistoryWriter {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (seconds: number) => void; reject: (err: Error) => void }>();

  constructor(dir: string, busyTimeoutMs = 100) {
    this.worker = new Worker(new URL('./writer-worker.js', import.meta.url), {
      workerData: { file: path.join(dir, 'chat.db'), busyTimeoutMs },
    });
    this.worker.on('message', (reply: WriterReply) => {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (reply.ok) waiter?.resolve(reply.seconds);
      else waiter?.reject(new Error(reply.error));
    });
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', () => this.failAll(new Error('history writer stopped')));
  }

  /** Commits `messages` in one transaction; resolves with the commit's duration in seconds. */
  append(messages: StoredMessage[]): Promise<number> {
    const id = this.nextId++;
    const rows = messages.map((m): Row => [m.roomKey, m.seq, m.id, m.from, m.text, m.ts, m.action ? 1 : 0]);
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, rows } satisfies WriterRequest);
    });
  }

  /** Lets batches already sent finish, then closes the worker's connection. */
  async close(): Promise<void> {
    this.worker.postMessage('close');
    await new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
  }

  private failAll(err: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(err);
    this.waiting.clear();
  }
}
