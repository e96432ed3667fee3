/** Connects the network layer's events to the store, and the store's effects back to the network. */
import type { ChatClient, NetEvent } from './net/chat-client.js';
import type { ReadSync } from './net/read-sync.js';
import { seenPosition } from './state/read-markers.js';
import type { Store } from './state/store.js';
import type { Action, Effect } from './state/types.js';

export function actionFor(event: NetEvent, now: number): Action {
  switch (event.type) {
    case 'status': return { type: 'connection', conn: event.status, now };
    case 'message': return { type: 'server', msg: event.msg, now };
    case 'rtt': return { type: 'rtt', ms: event.ms };
    case 'lag': return { type: 'lag', ms: event.ms };
    case 'sendState': return { type: 'sendState', ref: event.ref, status: event.status, reason: event.reason };
    case 'nickRejected': return { type: 'nickRejected', nick: event.nick, reason: event.reason, now };
    case 'historyCut': return { type: 'historyCut', room: event.room, below: event.below };
  }
}

/** Feeds every network event into the store; returns the unsubscribe function. */
export function feedStore(client: ChatClient, store: Store): () => void {
  return client.onEvent((event) => store.dispatch(actionFor(event, Date.now())));
}

/** Carries out the store's effects; `quit` is the app's own shutdown. */
export function runEffects(effects: Effect[], client: ChatClient, quit: (reason?: string) => void): void {
  for (const effect of effects) {
    if (effect.kind === 'send') client.send(effect.message);
    else if (effect.kind === 'register') client.register(effect.nick);
    else quit(effect.reason);
  }
}

/**
 * Shares this terminal's read positions with the account's other terminals: what the server says comes
 * first (before the store sees the same event, so it is not sent back), then each state change may move
 * the position of the room shown. Call before feedStore. Returns the unsubscribe function.
 */
export function syncReads(client: ChatClient, store: Store, reads: ReadSync): () => void {
  const offNet = client.onEvent((event) => {
    if (event.type === 'status' && event.status.state === 'online') reads.reset();
    if (event.type === 'message' && event.msg.type === 'read') reads.heard(event.msg.room, event.msg.seq);
  });
  const offStore = store.subscribe((state) => {
    const at = seenPosition(state);
    if (at) reads.seen(at.room, at.seq);
  });
  return () => {
    offNet();
    offStore();
    reads.stop();
  };
}
