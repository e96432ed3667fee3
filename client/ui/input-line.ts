/**
 * The input line: our own editing model instead of blessed's textbox, which doubles keystrokes after a
 * refocus (chjj/blessed #109, #362, #435). The text is a plain string and the cursor a UTF-16 index,
 * so a surrogate pair that arrives as two keypresses still joins; movement steps whole grapheme clusters.
 */
import { carriesSecret } from '../../shared/commands.js';
import { clusterWidth, graphemes } from '../text/width.js';

const HISTORY_MAX = 200;

/** How a line break and a tab in the input are drawn on its one row. */
const SHOWN: Record<string, string> = { '\n': '↵', '\t': ' ' };

interface Completion {
  start: number;
  candidates: string[];
  index: number;
  suffix: string;
}

export class InputLine {
  text = '';
  cursor = 0;
  private readonly history: string[] = [];
  /** Position while walking the history; history.length means "the line being typed". */
  private historyAt = 0;
  private draft = '';
  private completion: Completion | undefined;

  /** The input history, oldest first (to remember between runs). */
  get entries(): readonly string[] {
    return this.history;
  }

  /** Input history from the last run, oldest first. */
  loadHistory(lines: readonly string[]): void {
    this.history.splice(0, this.history.length, ...lines.slice(-HISTORY_MAX));
    this.historyAt = this.history.length;
  }

  insert(chars: string): void {
    this.completion = undefined;
    this.text = this.text.slice(0, this.cursor) + chars + this.text.slice(this.cursor);
    this.cursor += chars.length;
  }

  /** Alt+Enter: a line break in the message (multi-line compose). */
  newline(): void {
    this.insert('\n');
  }

  backspace(): void {
    this.completion = undefined;
    const start = this.prevBoundary();
    this.text = this.text.slice(0, start) + this.text.slice(this.cursor);
    this.cursor = start;
  }

  deleteForward(): void {
    this.completion = undefined;
    this.text = this.text.slice(0, this.cursor) + this.text.slice(this.nextBoundary());
  }

  left(): void {
    this.completion = undefined;
    this.cursor = this.prevBoundary();
  }

  right(): void {
    this.completion = undefined;
    this.cursor = this.nextBoundary();
  }

  home(): void {
    this.cursor = 0;
  }

  end(): void {
    this.cursor = this.text.length;
  }

  /** Ctrl+U: delete everything before the cursor. */
  killBefore(): void {
    this.text = this.text.slice(this.cursor);
    this.cursor = 0;
  }

  /** Ctrl+K: delete everything after the cursor. */
  killAfter(): void {
    this.text = this.text.slice(0, this.cursor);
  }

  /** Ctrl+W: delete the word before the cursor. */
  killWord(): void {
    const before = this.text.slice(0, this.cursor).replace(/\S+\s*$/, '');
    this.text = before + this.text.slice(this.cursor);
    this.cursor = before.length;
  }

  /** Takes the line for sending: remembers it in the history (unless it holds a password) and clears the input. */
  submit(): string {
    const line = this.text;
    if (line.trim() !== '' && this.history.at(-1) !== line && !carriesSecret(line)) {
      this.history.push(line);
      if (this.history.length > HISTORY_MAX) this.history.shift();
    }
    this.historyAt = this.history.length;
    this.draft = '';
    this.replace('');
    return line;
  }

  historyUp(): void {
    if (this.historyAt === 0) return;
    if (this.historyAt === this.history.length) this.draft = this.text;
    this.historyAt--;
    this.replace(this.history[this.historyAt]!);
  }

  historyDown(): void {
    if (this.historyAt >= this.history.length) return;
    this.historyAt++;
    this.replace(this.historyAt === this.history.length ? this.draft : this.history[this.historyAt]!);
  }

  /**
   * Tab: completes the word before the cursor from `candidatesFor(word, isFirstWord)`; pressing Tab again
   * cycles through the other matches.
   */
  complete(candidatesFor: (word: string, isFirstWord: boolean) => string[]): void {
    if (this.completion && this.completion.candidates.length > 0) {
      const c = this.completion;
      c.index = (c.index + 1) % c.candidates.length;
      this.replaceWord(c.start, c.candidates[c.index]! + c.suffix);
      return;
    }
    const before = this.text.slice(0, this.cursor);
    const start = before.search(/\S*$/);
    const word = before.slice(start);
    const isFirstWord = before.slice(0, start).trim() === '';
    const candidates = candidatesFor(word, isFirstWord);
    if (candidates.length === 0) return;
    // A nick at the start of a line is addressed ("bob: "); everything else ends with a space.
    const suffix = isFirstWord && !word.startsWith('/') && !word.startsWith('#') ? ': ' : ' ';
    this.completion = { start, candidates, index: 0, suffix };
    this.replaceWord(start, candidates[0]! + suffix);
  }

  /** The part of the line to show in `width` columns, scrolled so the cursor stays visible. */
  view(width: number): { text: string; cursorCol: number } {
    if (width <= 0) return { text: '', cursorCol: 0 };
    const clusters = graphemes(this.text);
    const shown = clusters.map((c) => SHOWN[c] ?? c);
    let offset = 0;
    let cursorIndex = 0;
    for (let i = 0, at = 0; i < clusters.length && at < this.cursor; i++) {
      at += clusters[i]!.length;
      cursorIndex = i + 1;
    }
    const widths = shown.map(clusterWidth);
    const widthBetween = (from: number, to: number) => widths.slice(from, to).reduce((a, b) => a + b, 0);
    while (widthBetween(offset, cursorIndex) > width - 1) offset++;
    let text = '';
    let used = 0;
    for (let i = offset; i < clusters.length && used + widths[i]! <= width; i++) {
      text += shown[i];
      used += widths[i]!;
    }
    return { text, cursorCol: widthBetween(offset, cursorIndex) };
  }

  /** Puts `text` in the input with the cursor at its end (a line given back after "send? n"). */
  replace(text: string): void {
    this.completion = undefined;
    this.text = text;
    this.cursor = text.length;
  }

  private replaceWord(start: number, replacement: string): void {
    this.text = this.text.slice(0, start) + replacement + this.text.slice(this.cursor);
    this.cursor = start + replacement.length;
  }

  private prevBoundary(): number {
    let at = 0;
    for (const g of graphemes(this.text)) {
      if (at + g.length >= this.cursor) return at;
      at += g.length;
    }
    return at;
  }

  private nextBoundary(): number {
    let at = 0;
    for (const g of graphemes(this.text)) {
      at += g.length;
      if (at > this.cursor) return at;
    }
    return this.text.length;
  }
}
