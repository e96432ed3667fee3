/** Key bindings: blessed key names (key.full) to what they do. client/help.ts describes them. */
export type KeyCommand =
  | 'submit' | 'quit' | 'historyUp' | 'historyDown' | 'left' | 'right' | 'home' | 'end'
  | 'backspace' | 'delete' | 'killBefore' | 'killAfter' | 'killWord' | 'complete'
  | 'pageUp' | 'pageDown' | 'bottom' | 'nextView' | 'prevView' | 'redraw';

export const KEY_BINDINGS: Record<string, KeyCommand> = {
  enter: 'submit', linefeed: 'submit', 'C-c': 'quit',
  up: 'historyUp', down: 'historyDown', left: 'left', right: 'right',
  home: 'home', end: 'end', 'C-a': 'home', 'C-e': 'end',
  backspace: 'backspace', 'C-h': 'backspace', delete: 'delete', 'C-d': 'delete',
  'C-u': 'killBefore', 'C-k': 'killAfter', 'C-w': 'killWord', 'M-backspace': 'killWord',
  tab: 'complete', pageup: 'pageUp', pagedown: 'pageDown', 'S-up': 'pageUp', 'S-down': 'pageDown',
  escape: 'bottom', 'M-end': 'bottom', 'C-end': 'bottom',
  'C-n': 'nextView', 'C-p': 'prevView', 'M-right': 'nextView', 'M-left': 'prevView', 'C-l': 'redraw',
};

export interface KeyPress {
  name?: string;
  full?: string;
  ctrl?: boolean;
  meta?: boolean;
  sequence?: string;
}

/** Alt+1..9 selects view 0..8, Alt+0 view 9 (the tenth). */
export function viewIndexFor(key: KeyPress): number | undefined {
  const m = /^M-([0-9])$/.exec(key.full ?? '');
  if (!m) return undefined;
  return m[1] === '0' ? 9 : Number(m[1]) - 1;
}

/** Printable text a keypress inserts, or undefined for control keys. */
export function printable(ch: string | undefined, key: KeyPress): string | undefined {
  if (!ch || key.ctrl || key.meta) return undefined;
  // Controls (and DEL) never enter the line, escape sequences the key parser did not know included.
  const clean = ch.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  return clean === '' ? undefined : clean;
}
