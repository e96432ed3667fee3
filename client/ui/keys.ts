/** Key bindings: blessed key names (key.full) to what they do. The table is also the source for --help. */
export type KeyCommand =
  | 'submit' | 'quit' | 'historyUp' | 'historyDown' | 'left' | 'right' | 'home' | 'end'
  | 'backspace' | 'delete' | 'killBefore' | 'killAfter' | 'killWord' | 'complete'
  | 'pageUp' | 'pageDown' | 'nextView' | 'prevView' | 'redraw';

export const KEY_BINDINGS: Record<string, KeyCommand> = {
  enter: 'submit', linefeed: 'submit', 'C-c': 'quit',
  up: 'historyUp', down: 'historyDown', left: 'left', right: 'right',
  home: 'home', end: 'end', 'C-a': 'home', 'C-e': 'end',
  backspace: 'backspace', 'C-h': 'backspace', delete: 'delete', 'C-d': 'delete',
  'C-u': 'killBefore', 'C-k': 'killAfter', 'C-w': 'killWord', 'M-backspace': 'killWord',
  tab: 'complete', pageup: 'pageUp', pagedown: 'pageDown', 'S-up': 'pageUp', 'S-down': 'pageDown',
  'C-n': 'nextView', 'C-p': 'prevView', 'M-right': 'nextView', 'M-left': 'prevView', 'C-l': 'redraw',
};

/** Documented in --help and docs/client.md. */
export const KEY_HELP: readonly [string, string][] = [
  ['Enter', 'send the line (a message, or a /command)'],
  ['Up / Down', 'walk the input history'],
  ['Tab', 'complete a nick, /command or #room; press again for the next match'],
  ['PgUp / PgDn, wheel', 'scroll; scrolling past the top loads older history'],
  ['Alt+1..9', 'go to the room or DM with that number'],
  ['Ctrl+N / Ctrl+P', 'next / previous room or DM (also Alt+Right / Alt+Left)'],
  ['Left / Right, Home / End', 'move in the input line (also Ctrl+A / Ctrl+E)'],
  ['Ctrl+U / Ctrl+K / Ctrl+W', 'delete before the cursor / after it / the word before it'],
  ['Ctrl+L', 'redraw the screen'],
  ['Ctrl+C', 'quit (or type /quit)'],
];

export interface KeyPress {
  name?: string;
  full?: string;
  ctrl?: boolean;
  meta?: boolean;
  sequence?: string;
}

/** Alt+1..9 selects view 0..8. */
export function viewIndexFor(key: KeyPress): number | undefined {
  const m = /^M-([1-9])$/.exec(key.full ?? '');
  return m ? Number(m[1]) - 1 : undefined;
}

/** Printable text a keypress inserts, or undefined for control keys. */
export function printable(ch: string | undefined, key: KeyPress): string | undefined {
  if (!ch || key.ctrl || key.meta) return undefined;
  // Controls (and DEL) never enter the line, escape sequences the key parser did not know included.
  const clean = ch.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  return clean === '' ? undefined : clean;
}
