/** Prometheus metrics, served at GET /metrics. Hot paths add counts in bulk (per broadcast, per batch). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  messagesIn: Counter;
  messagesOut: Counter;
  deliveries: Counter;
  slowConsumersDropped: Counter;
  rateLimited: Counter;
  inputPaused: Counter;
  errors: Counter<'code'>;
  connectionsRefused: Counter<'reason'>;
  historyBatchSize: Histogram;
  historyCommitSeconds: Histogram;
  historyCommitFailures: Counter;
}

export interface Gauges {
  connections(): number;
  rooms(): number;
  /** 1 while messages can be stored (writer up, database file in place, last commit fine), else 0. */
  historyWritable(): number;
}

/** One gauge per figure an engine reports (bus lag, reaps, fenced, ...), read at each scrape. */
export function addEngineGauges(registry: Registry, stats: () => Record<string, number>): void {
  for (const key of Object.keys(stats())) {
    const name = `chat_engine_${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`;
    new Gauge({ name, help: `Cluster engine: ${key}`, registers: [registry], collect() { this.set(stats()[key] ?? 0); } });
  }
}

export function createMetrics(gauges: Gauges): Metrics {
  const registry = new Registry();
  // Includes nodejs_eventloop_lag_* (mean, p50, p90, p99) from monitorEventLoopDelay.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  new Gauge({ name: 'chat_connections', help: 'Open client connections', registers: [registry], collect() { this.set(gauges.connections()); } });
  new Gauge({ name: 'chat_rooms', help: 'Rooms held in memory: those with members, and #lobby', registers: [registry], collect() { this.set(gauges.rooms()); } });
  new Gauge({ name: 'chat_history_writable', help: 'Whether messages can be stored now (1) or not (0); see /healthz for why', registers: [registry], collect() { this.set(gauges.historyWritable()); } });
  const counter = (name: string, help: string) => new Counter({ name, help, registers: [registry] });
  return {
    registry,
    messagesIn: counter('chat_messages_in_total', 'Client messages received'),
    messagesOut: counter('chat_messages_out_total', 'Server messages serialized (once per broadcast)'),
    deliveries: counter('chat_deliveries_total', 'Server messages handed to a connection'),
    slowConsumersDropped: counter('chat_slow_consumers_dropped_total', 'Connections dropped for not reading'),
    rateLimited: counter('chat_rate_limited_total', 'Client messages refused by flood control'),
    inputPaused: counter('chat_input_paused_total', 'Times a connection stopped being read: over its budget, its output backed up, or its turn used'),
    errors: new Counter({ name: 'chat_errors_total', help: 'Errors answered, by code', labelNames: ['code'], registers: [registry] }),
    connectionsRefused: new Counter({
      name: 'chat_connections_refused_total', help: 'Sockets refused: on accept by rate, address, unregistered (per-address caps) or total; plaintext on a TLS port, tls (handshake failed or timed out), origin (WebSocket Origin not allowed)',
      labelNames: ['reason'], registers: [registry],
    }),
    historyBatchSize: new Histogram({
      name: 'chat_history_batch_size', help: 'Messages per history commit', registers: [registry],
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000],
    }),
    historyCommitSeconds: new Histogram({
      name: 'chat_history_commit_seconds', help: 'Time to commit one history batch', registers: [registry],
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    }),
    historyCommitFailures: counter('chat_history_commit_failures_total', 'History batches that could not be stored (their senders got INTERNAL)'),
  };
}
