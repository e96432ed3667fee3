/** Holds the current state, runs the reducer and tells subscribers; the only mutable thing in state/. */
import { initialState } from './app-state.js';
import { reduce } from './reducer.js';
import type { Action, AppState, Effect } from './types.js';

export class Store {
  private current: AppState;
  private readonly listeners = new Set<(state: AppState) => void>();

  constructor(server: string, nick: string, highlights: string[] = []) {
    this.current = initialState(server, nick, highlights);
  }

  get state(): AppState {
    return this.current;
  }

  /** Applies `action` and returns the effects the caller must carry out. */
  dispatch(action: Action): Effect[] {
    const step = reduce(this.current, action);
    if (step.state !== this.current) {
      this.current = step.state;
      for (const listener of this.listeners) listener(this.current);
    }
    return step.effects;
  }

  subscribe(listener: (state: AppState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
