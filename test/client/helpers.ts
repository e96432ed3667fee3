/** Small helpers for the client tests: polling with a deadline, and a plain WebSocket peer. */
import WebSocket from 'ws';
import type { ClientMessage, ServerMessage } from '../../shared/index.js';
import { initialState } from '../../client/state/app-state.js';
import { reduce } from '../../client/state/reducer.js';
import type { Action, AppState } from '../../client/state/types.js';

/** Polls `check` until it returns a truthy value or the deadline passes, then throws with `what`. */
export async function waitFor<T>(what: string | (() => string), check: () => T | undefined | false | null, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface Peer {
  received: ServerMessage[];
  send(message: ClientMessage | Record<string, unknown>): void;
  close(): Promise<void>;
}

/** A plain `ws` client that registers as `nick` and records every message (`options`: a CA for wss://). */
export async function connectPeer(url: string, nick: string, options?: WebSocket.ClientOptions): Promise<Peer> {
  const ws = new WebSocket(url, options);
  const received: ServerMessage[] = [];
  ws.on('message', (data) => received.push(JSON.parse(String(data)) as ServerMessage));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'hello', nick }));
  await waitFor(`${nick} welcome`, () => received.some((m) => m.type === 'welcome'));
  return {
    received,
    send: (message) => ws.send(JSON.stringify(message)),
    close: () => new Promise<void>((resolve) => {
      if (ws.readyState === WebSocket.CLOSED) return resolve();
      ws.once('close', () => resolve());
      ws.close();
    }),
  };
}

/** The client's state once alice is online in #lobby at `now` (ws://127.0.0.1:7878), then `msgs` arrived. */
export function onlineState(now: number, ...msgs: ServerMessage[]): AppState {
  let s = initialState('ws://127.0.0.1:7878', 'alice');
  const actions: Action[] = [
    { type: 'connection', conn: { state: 'online' }, now },
    ...[{ type: 'welcome', sid: 's', nick: 'alice', server: 'test', version: 1 } as ServerMessage,
      { type: 'joined', room: '#lobby', nick: 'alice', ts: now } as ServerMessage, ...msgs]
      .map((msg): Action => ({ type: 'server', msg, now })),
  ];
  for (const a of actions) s = reduce(s, a).state;
  return s;
}
