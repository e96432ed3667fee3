/**
 * Owns the real terminal through blessed's Program: raw mode, the alternate screen, key and mouse
 * parsing, resize events, and putting everything back on exit. Drawing is ours (see terminal.ts);
 * tput stays off so an unknown or odd TERM cannot break start-up (gomuks #86).
 */
import blessed from 'blessed';
import type { KeyPress } from './keys.js';

export interface TerminalHandlers {
  onKey(ch: string | undefined, key: KeyPress): void;
  onWheel(direction: 'up' | 'down'): void;
  onResize(): void;
}

export interface TerminalSession {
  write(data: string): void;
  size(): { width: number; height: number };
  /** Leaves the alternate screen, shows the cursor and restores cooked mode; safe to call twice. */
  restore(): void;
}

export function openTerminal(handlers: TerminalHandlers): TerminalSession {
  // @types/blessed types `tput` as an object; blessed itself takes false to skip terminfo entirely.
  const options = { input: process.stdin, output: process.stdout, tput: false, buffer: false };
  const program = blessed.program(options as unknown as Parameters<typeof blessed.program>[0]);
  const output = process.stdout;
  let restored = false;
  program.alternateBuffer();
  // Button presses only (the wheel), SGR-encoded: blessed's own choice depends on TERM and enables nothing
  // for TERM=tmux-*, and its all-motion mode would report every mouse move.
  program.setMouse({ vt200Mouse: true, sgrMouse: true }, true);
  program.on('keypress', (ch: string | undefined, key: KeyPress) => handlers.onKey(ch, key));
  program.on('mouse', (data: { action?: string }) => {
    if (data.action === 'wheelup') handlers.onWheel('up');
    else if (data.action === 'wheeldown') handlers.onWheel('down');
  });
  program.on('resize', () => handlers.onResize());
  const restore = () => {
    if (restored) return;
    restored = true;
    program.disableMouse();
    output.write('\x1b[0m\x1b[2J');
    program.normalBuffer();
    program.showCursor();
    program.destroy();
  };
  process.once('exit', restore);
  return {
    write: (data) => { output.write(data); },
    size: () => ({ width: output.columns || 80, height: output.rows || 24 }),
    restore,
  };
}
