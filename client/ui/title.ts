/**
 * The terminal's window title: where the user is and how much waits elsewhere, so a chat in another
 * tab or tmux window shows its activity: `(3) #rust — chat`, `(2!) @alice — chat` when one is a mention.
 */
import type { AppState } from '../state/types.js';

export function windowTitle(state: AppState): string {
  const view = state.views.find((v) => v.id === state.current);
  const here = view ? (view.kind === 'dm' ? `@${view.title}` : view.title) : '';
  let unread = 0;
  let mentioned = false;
  for (const v of state.views) {
    if (v.id === state.current) continue;
    unread += v.unread;
    mentioned ||= v.mentioned;
  }
  const count = unread > 0 ? `(${unread}${mentioned ? '!' : ''}) ` : '';
  return `${count}${here || 'chat'} — chat`;
}

/**
 * The OSC 2 sequence that sets it, ended by ST (not BEL, which is the bell); control characters are
 * dropped so no name can end it early.
 */
export function titleSequence(title: string): string {
  return `\x1b]2;${title.replace(/[\x00-\x1f\x7f-\x9f]/g, '')}\x1b\\`;
}
