/**
 * Owns the real terminal through blessed's Program: raw mode, the alternate screen, key and mouse
 * parsing, resize events, and putting everything back on exit. Drawing is ours (see terminal.ts);
 * tput stays off so an unknown or odd TERM cannot break start-up (gomuks #86).
 * Raw input passes through a PasteSplitter first, which takes out bracketed pastes and Alt+Enter.
 */
import { EventEmitter } from 'node:events';
import { StringDecoder } from 'node:string_decoder';
import blessed from 'blessed';
import type { KeyPress } from './keys.js';
import { BRACKETED_PASTE_OFF, BRACKETED_PASTE_ON, PasteSplitter, type InputPiece } from './paste.js';

export interface TerminalHandlers {
  onKey(ch: string | undefined, key: KeyPress): void;
  onWheel(direction: 'up' | 'down'): void;
  onResize(): void;
  /** A bracketed paste, whole; `cut` when it was longer than the client keeps. */
  onPaste(text: string, cut: boolean): void;
  /** Alt+Enter. */
  onNewline(): void;
}

export interface TerminalSession {
  write(data: string): void;
  size(): { width: number; height: number };
  /** Leaves the alternate screen, shows the cursor and restores cooked mode; safe to call twice. */
  restore(): void;
}

/** Only ?1049 (which saves and restores the cursor): blessed's ?47 before it makes tmux lose the cursor. */
const ALT_SCREEN_ON = '\x1b[?1049h';
const ALT_SCREEN_OFF = '\x1b[?1049l';
/** xterm's title stack: the title before us is saved at start and put back at exit (ignored where unsupported). */
const TITLE_PUSH = '\x1b[22;0t';
const TITLE_POP = '\x1b[23;0t';
/** How long an ESC at the end of a read waits for the rest of a possible paste marker. */
const ESC_WAIT_MS = 25;

/** What blessed reads keys from: stdin's raw mode and flow, with data we have filtered. */
class FilteredInput extends EventEmitter {
  readonly isTTY = true;
  isRaw = false;

  constructor(private readonly stdin: NodeJS.ReadStream) {
    super();
  }

  setRawMode(mode: boolean): this {
    this.stdin.setRawMode(mode);
    this.isRaw = mode;
    return this;
  }

  resume(): this {
    this.stdin.resume();
    return this;
  }

  pause(): this {
    this.stdin.pause();
    return this;
  }
}

export function openTerminal(handlers: TerminalHandlers): TerminalSession {
  const output = process.stdout;
  const input = new FilteredInput(process.stdin);
  const splitter = new PasteSplitter();
  const decoder = new StringDecoder('utf8');
  let flushTimer: NodeJS.Timeout | undefined;
  const deliver = (pieces: InputPiece[]) => {
    for (const piece of pieces) {
      if (piece.kind === 'keys') input.emit('data', Buffer.from(piece.data));
      else if (piece.kind === 'paste') handlers.onPaste(piece.text, piece.cut);
      else handlers.onNewline();
    }
  };
  const onData = (chunk: Buffer) => {
    clearTimeout(flushTimer);
    deliver(splitter.push(decoder.write(chunk)));
    // An ESC (or ESC[2…) at the end of a read may start a paste marker cut between reads; if nothing follows
    // at once, it was a key.
    if (splitter.holding) flushTimer = setTimeout(() => deliver(splitter.flush()), ESC_WAIT_MS);
  };
  process.stdin.on('data', onData);
  // @types/blessed types `tput` as an object; blessed itself takes false to skip terminfo entirely.
  const options = { input, output, tput: false, buffer: false };
  const program = blessed.program(options as unknown as Parameters<typeof blessed.program>[0]);
  let restored = false;
  output.write(TITLE_PUSH + ALT_SCREEN_ON + BRACKETED_PASTE_ON);
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
    output.write(`${BRACKETED_PASTE_OFF}\x1b[0m\x1b[2J${ALT_SCREEN_OFF}${TITLE_POP}`);
    program.showCursor();
    process.stdin.off('data', onData);
    clearTimeout(flushTimer);
    program.destroy();
  };
  process.once('exit', restore);
  return {
    write: (data) => { output.write(data); },
    size: () => ({ width: output.columns || 80, height: output.rows || 24 }),
    restore,
  };
}
