/** Tab-completion candidates: commands first on a line, rooms after '#', nicks otherwise. */
import { caseFold, COMMAND_NAMES } from '../../shared/index.js';
import { LOCAL_COMMANDS } from '../help.js';
import { currentView } from '../state/app-state.js';
import type { AppState } from '../state/types.js';

export function completionCandidates(state: AppState, word: string, isFirstWord: boolean): string[] {
  const prefix = caseFold(word);
  const starting = (names: Iterable<string>) => [...new Set(names)].filter((n) => caseFold(n).startsWith(prefix) && n !== word).sort();
  if (isFirstWord && word.startsWith('/')) return starting([...COMMAND_NAMES, ...LOCAL_COMMANDS.map((c) => c.name)].map((c) => `/${c}`));
  if (word.startsWith('#')) {
    return starting([...state.views.filter((v) => v.kind === 'room').map((v) => v.title), ...state.knownRooms]);
  }
  if (word === '') return [];
  const view = currentView(state);
  const others = view.members.filter((n) => caseFold(n) !== caseFold(state.me));
  const dmPeers = state.views.filter((v) => v.kind === 'dm').map((v) => v.title);
  return starting([...others, ...dmPeers]);
}
