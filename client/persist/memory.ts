/**
 * What the client remembers between runs, per server and nick, in $XDG_STATE_HOME/chat: the rooms and DM
 * views that were open, the view you were in, the input history, and how far you had read in each room.
 * Written a second after a change (to a temporary file, then renamed, so a crash never leaves half a
 * file) and once more on exit. A missing or damaged file is a fresh start, never an error.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileNameFor, stateDir } from './paths.js';

export interface Remembered {
  rooms: string[];
  dms: string[];
  /** The view id that was current. */
  current?: string;
  /** Input lines, oldest first. */
  history: string[];
  /** Room view id -> the newest seq seen there. */
  read: Record<string, number>;
}

export const EMPTY_MEMORY: Remembered = { rooms: [], dms: [], history: [], read: {} };

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export function memoryFile(env: Record<string, string | undefined>, server: string, nick: string): string {
  return path.join(stateDir(env), `${fileNameFor(server)}@${fileNameFor(nick)}.json`);
}

export function loadMemory(file: string): Remembered {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return EMPTY_MEMORY;
  }
  if (typeof value !== 'object' || value === null) return EMPTY_MEMORY;
  const read: Record<string, number> = {};
  if (typeof value.read === 'object' && value.read !== null) {
    for (const [room, seq] of Object.entries(value.read)) if (Number.isSafeInteger(seq) && (seq as number) >= 0) read[room] = seq as number;
  }
  const memory: Remembered = { rooms: strings(value.rooms), dms: strings(value.dms), history: strings(value.history), read };
  return typeof value.current === 'string' ? { ...memory, current: value.current } : memory;
}

/** Writes the memory a moment after changes, one write at a time, and at once on `flushNow`. */
export class MemoryKeeper {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private last = '';

  constructor(
    private readonly file: string,
    private readonly snapshot: () => Remembered,
    private readonly delayMs = 1000,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {}

  changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writing = this.writing.then(() => this.write()).catch((err: Error) => this.onError(err));
    }, this.delayMs);
    this.timer.unref();
  }

  /** At exit: synchronously, whatever is pending. */
  flushNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const text = this.text();
    if (text === this.last) return;
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      writeFileSync(`${this.file}.tmp`, text);
      renameSync(`${this.file}.tmp`, this.file);
      this.last = text;
    } catch (err) {
      this.onError(err as Error);
    }
  }

  private text(): string {
    return `${JSON.stringify(this.snapshot(), null, 1)}\n`;
  }

  private async write(): Promise<void> {
    const text = this.text();
    if (text === this.last) return;
    await mkdir(path.dirname(this.file), { recursive: true });
    await writeFile(`${this.file}.tmp`, text);
    await rename(`${this.file}.tmp`, this.file);
    this.last = text;
  }
}
