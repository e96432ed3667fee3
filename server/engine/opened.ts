import type { Engine } from './engine.js';

/** An engine and what it holds open (files, threads, connections). */
export interface OpenedEngine {
  engine: Engine;
  /** Releases what the engine holds, after the hub has stopped using it. */
  close(): Promise<void>;
  /** The engine's own figures for /metrics, each as a gauge `chat_engine_<snake_case name>`. */
  stats?(): Record<string, number>;
  /** Fault injection for tests (single node only). */
  killHistoryWriter?(): Promise<void>;
  killHistoryReader?(): Promise<void>;
  hangHistoryReader?(ms: number): void;
}
