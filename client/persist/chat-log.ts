/**
 * Optional plain-text logs: one file per room or DM under $XDG_DATA_HOME/chat/logs/<server>/, a line per
 * message as it arrives (`2024-05-01 14:02 <alice> hello`; the lines of a multi-line message after the
 * first are indented). Appends go through one stream per file, so they stay in order and never block.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { ServerMessage } from '../../shared/index.js';
import { sanitizeLine } from '../text/sanitize.js';
import { fileNameFor } from './paths.js';

function stamp(ts: number): string {
  const d = new Date(ts);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** One message as log text: no escape sequences or controls, whatever was sent. */
export function logLine(ts: number, from: string, text: string, action = false): string {
  const [first = '', ...rest] = text.split(/\r\n|[\r\n\u2028\u2029]/).map(sanitizeLine);
  const head = action ? `${stamp(ts)} * ${from} ${first}` : `${stamp(ts)} <${from}> ${first}`;
  return [head, ...rest.map((l) => `    ${l}`)].join('\n');
}

export class ChatLog {
  private readonly streams = new Map<string, WriteStream>();

  constructor(private readonly dir: string, private readonly me: () => string, private readonly onError: (err: Error) => void = () => undefined) {}

  /** Logs room messages and DMs as they arrive live (history pages are the server's to keep). */
  record(msg: ServerMessage): void {
    if (msg.type === 'message') this.write(msg.room, logLine(msg.ts, msg.from, msg.text, msg.action));
    else if (msg.type === 'dm') {
      const other = msg.from.toLowerCase() === this.me().toLowerCase() ? msg.to : msg.from;
      this.write(`@${other}`, logLine(msg.ts, msg.from, msg.text, msg.action));
    }
  }

  close(): void {
    for (const stream of this.streams.values()) stream.end();
    this.streams.clear();
  }

  private write(view: string, text: string): void {
    const name = fileNameFor(view.toLowerCase());
    let stream = this.streams.get(name);
    if (!stream) {
      try {
        mkdirSync(this.dir, { recursive: true });
      } catch (err) {
        this.onError(err as Error);
        return;
      }
      stream = createWriteStream(path.join(this.dir, `${name}.log`), { flags: 'a' });
      stream.on('error', (err) => this.onError(err));
      this.streams.set(name, stream);
    }
    stream.write(`${text}\n`);
  }
}
