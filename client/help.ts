/** The client's help: keys and the commands it adds, for --help and for /help in the client. */
import { helpText } from '../shared/index.js';

/** Every key, for --help and /help (the bindings are in ui/keys.ts). */
export const KEY_HELP: readonly [string, string][] = [
  ['Enter', 'send the line (a message, or a /command)'],
  ['Alt+Enter', 'a line break in the message (a paste keeps its line breaks)'],
  ['Up / Down', 'walk the input history'],
  ['Tab', 'complete a nick, /command or #room; press again for the next match'],
  ['PgUp / PgDn, wheel', 'scroll; scrolling past the top loads older history'],
  ['Esc (also Alt+End)', 'back to the newest line'],
  ['Alt+1..9, Alt+0', 'go to the view with that number (Alt+0: 10; /win N for any)'],
  ['Ctrl+N / Ctrl+P', 'next / previous room or DM (also Alt+Right / Alt+Left)'],
  ['Left / Right, Home / End', 'move in the input line (also Ctrl+A / Ctrl+E)'],
  ['Ctrl+U / Ctrl+K / Ctrl+W', 'delete before the cursor / after it / the word before it'],
  ['Ctrl+L', 'redraw the screen'],
  ['Ctrl+C', 'quit (or type /quit)'],
];

/** Commands the client answers itself (state/local-commands.ts), next to the shared ones. */
export const LOCAL_COMMANDS: readonly { name: string; usage: string; help: string }[] = [
  { name: 'close', usage: '/close', help: 'close the current DM view (in a room: leave it)' },
  { name: 'clear', usage: '/clear', help: 'clear the current view; scrolling up loads its history again' },
  { name: 'win', usage: '/win N', help: 'go to the view with number N in the list (also /go)' },
];

const indent = (rows: string[]) => rows.map((r) => `  ${r}`);

/** The commands, the client's own ones, and the keys, as /help shows them. */
export function clientHelp(command?: string): string {
  if (command) {
    const local = LOCAL_COMMANDS.find((c) => c.name === command.replace(/^\//, '').toLowerCase());
    return local ? `${local.usage}: ${local.help}` : helpText(command);
  }
  const [title, ...rows] = helpText().split('\n');
  const footer = rows.pop()!;
  return [
    title!, ...indent(rows), ...indent(LOCAL_COMMANDS.map((c) => `${c.usage.padEnd(26)} ${c.help}`)),
    `  ${footer}`,
    '  /msg nick (without text)   open a DM view; in a DM view, plain lines go to that person',
    '  /search (without words)    the older matches of the last search',
    '',
    'Keys:',
    ...indent(KEY_HELP.map(([k, what]) => `${k.padEnd(26)} ${what}`)),
  ].join('\n');
}
