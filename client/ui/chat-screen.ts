/**
 * The UI: draws the state on the terminal and turns keys and the mouse wheel into store actions.
 * It never touches a socket: anything that must reach the server comes back from the store as an effect.
 */
import type { Store } from '../state/store.js';
import type { Action, Effect } from '../state/types.js';
import { completionCandidates } from './completion.js';
import { InputLine } from './input-line.js';
import { KEY_BINDINGS, printable, viewIndexFor, type KeyCommand, type KeyPress } from './keys.js';
import { RowCache } from './message-rows.js';
import { cleanPaste, PASTE_MAX } from './paste.js';
import { renderFrame } from './render.js';
import type { TerminalWriter } from './terminal.js';
import type { Theme } from './theme.js';
import type { TimeFormat } from './time-format.js';
import { windowTitle } from './title.js';

const WHEEL_ROWS = 3;
const COUNTDOWN_MS = 200;

export interface ScreenSize {
  width: number;
  height: number;
}

export class ChatScreen {
  readonly input = new InputLine();
  private readonly cache: RowCache;
  private scheduled = false;
  private lastBell: number;
  private pageRows = 1;
  private maxScroll = 0;
  private countdown: NodeJS.Timeout | undefined;
  private lastDrawn: { view: string; totalRows: number; newest: unknown } | undefined;

  constructor(
    private readonly store: Store,
    private readonly writer: TerminalWriter,
    private readonly size: () => ScreenSize,
    private readonly theme: Theme,
    private readonly onEffects: (effects: Effect[]) => void,
    private readonly options: { bell: boolean; clock?: TimeFormat } = { bell: true },
  ) {
    this.cache = new RowCache(options.clock);
    this.lastBell = store.state.bell;
    store.subscribe(() => this.schedule());
  }

  /** Coalesces bursts of updates (a history page, a reconnect) into one frame per tick. */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.draw();
    });
  }

  draw(): void {
    const { width, height } = this.size();
    const state = this.store.state;
    let rendered = renderFrame(state, this.input, width, height, this.theme, this.cache);
    this.pageRows = rendered.pageRows;
    this.maxScroll = rendered.maxScroll;
    // A reader scrolled up stays on the same lines when new ones arrive below.
    const last = this.lastDrawn;
    const view = state.views.find((v) => v.id === state.current);
    if (view && view.scroll > 0 && last?.view === view.id && last.newest !== rendered.newest && rendered.totalRows > last.totalRows) {
      this.dispatch({ type: 'scroll', delta: rendered.totalRows - last.totalRows, maxScroll: rendered.maxScroll });
      rendered = renderFrame(this.store.state, this.input, width, height, this.theme, this.cache);
    }
    this.lastDrawn = { view: state.current, totalRows: rendered.totalRows, newest: rendered.newest };
    if (state.conn.state === 'reconnecting' && !this.countdown) {
      // The status line counts down to the next attempt.
      this.countdown = setTimeout(() => {
        this.countdown = undefined;
        this.schedule();
      }, COUNTDOWN_MS).unref();
    }
    this.writer.draw(rendered.frame);
    this.writer.title(windowTitle(state));
    if (state.bell !== this.lastBell) {
      this.lastBell = state.bell;
      if (this.options.bell) this.writer.bell();
    }
  }

  resized(): void {
    this.writer.invalidate();
    this.draw();
  }

  wheel(direction: 'up' | 'down'): void {
    this.scroll(direction === 'up' ? WHEEL_ROWS : -WHEEL_ROWS);
  }

  /** A bracketed paste goes into the input whole, line breaks included: Enter sends it as one message. */
  paste(text: string, cut: boolean): void {
    if (this.store.state.confirm) return;
    const clean = cleanPaste(text);
    if (clean !== '') this.input.insert(clean);
    if (cut) this.dispatch({ type: 'note', kind: 'error', text: `the paste was cut to its first ${PASTE_MAX.toLocaleString('en')} characters`, now: Date.now() });
    this.schedule();
  }

  newline(): void {
    if (this.store.state.confirm) return;
    this.input.newline();
    this.schedule();
  }

  key(ch: string | undefined, key: KeyPress): void {
    if (this.store.state.confirm) return this.answer(ch, key);
    const index = viewIndexFor(key);
    if (index !== undefined) return this.dispatch({ type: 'selectView', index });
    const command = KEY_BINDINGS[key.full ?? ''];
    if (command) return this.run(command);
    const text = printable(ch, key);
    if (text !== undefined) {
      this.input.insert(text);
      this.schedule();
    }
  }

  /** While a long message waits for y/n, only the answer counts; n gives the text back to the input. */
  private answer(ch: string | undefined, key: KeyPress): void {
    const pending = this.store.state.confirm!;
    if (ch === 'y' || ch === 'Y' || key.full === 'enter') {
      this.dispatch({ type: 'confirm', yes: true, now: Date.now() });
    } else if (ch === 'n' || ch === 'N' || key.full === 'escape' || key.full === 'C-c') {
      this.dispatch({ type: 'confirm', yes: false, now: Date.now() });
      this.input.replace(pending.text);
    }
  }

  private run(command: KeyCommand): void {
    const input = this.input;
    switch (command) {
      case 'submit': {
        const line = input.submit();
        if (line.trim() !== '') this.dispatch({ type: 'input', text: line, now: Date.now() });
        break;
      }
      case 'quit': this.onEffects([{ kind: 'quit' }]); return;
      case 'historyUp': input.historyUp(); break;
      case 'historyDown': input.historyDown(); break;
      case 'left': input.left(); break;
      case 'right': input.right(); break;
      case 'home': input.home(); break;
      case 'end': input.end(); break;
      case 'backspace': input.backspace(); break;
      case 'delete': input.deleteForward(); break;
      case 'killBefore': input.killBefore(); break;
      case 'killAfter': input.killAfter(); break;
      case 'killWord': input.killWord(); break;
      case 'complete': input.complete((word, first) => completionCandidates(this.store.state, word, first)); break;
      case 'pageUp': this.scroll(this.pageRows); return;
      case 'pageDown': this.scroll(-this.pageRows); return;
      case 'bottom': this.scroll(-Infinity); return;
      case 'nextView': this.dispatch({ type: 'cycleView', delta: 1 }); return;
      case 'prevView': this.dispatch({ type: 'cycleView', delta: -1 }); return;
      case 'redraw': this.resized(); return;
    }
    this.schedule();
  }

  private scroll(delta: number): void {
    this.dispatch({ type: 'scroll', delta, maxScroll: this.maxScroll });
  }

  private dispatch(action: Action): void {
    const effects = this.store.dispatch(action);
    if (effects.length > 0) this.onEffects(effects);
    this.schedule();
  }
}
