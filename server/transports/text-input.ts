/**
 * One line a text-mode user typed, as what the server should do with it: nothing (an empty line or only
 * editing noise), a refusal with its code, help text, or a protocol message. Pure, so every line a
 * person could type can be checked without a socket.
 */
import { isUtf8 } from 'node:buffer';
import { parseInput } from '../../shared/commands.js';
import { ErrorCode } from '../../shared/errors.js';
import { validateClientMessage } from '../../shared/parse.js';
import type { ClientMessage } from '../../shared/protocol.js';

// Arrow keys and other terminal escapes a human may type; they are editing noise, not text.
const TERMINAL_NOISE = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]?|[\x00-\x08\x0b-\x1f\x7f]/g;

export type TextInput =
  | { kind: 'none' }
  | { kind: 'refuse'; code: ErrorCode; message: string }
  | { kind: 'help'; text: string }
  | { kind: 'message'; message: ClientMessage };

export interface TextLineContext {
  /** Whether `hello` has succeeded: before it, a plain line or `/nick name` picks the nick. */
  registered: boolean;
  /** The room plain text goes to. */
  room?: string;
  /** Before `hello` has succeeded: the nick whose password (its account's, or the server's) this line is. */
  passwordFor?: string;
}

export function readTextLine(bytes: Buffer, ctx: TextLineContext): TextInput {
  if (!isUtf8(bytes)) return { kind: 'refuse', code: ErrorCode.BAD_ENCODING, message: 'line is not valid UTF-8' };
  const line = bytes.toString('utf8').replace(TERMINAL_NOISE, '').trim();
  if (line === '') return { kind: 'none' };
  const nickCommand = /^\/nick\s+(\S+)$/i.exec(line);
  if (!ctx.registered && ctx.passwordFor !== undefined && !nickCommand) {
    // The password the last answer asked for (never echoed back, nor logged).
    const hello = validateClientMessage({ type: 'hello', nick: ctx.passwordFor, password: line, client: 'text' });
    return hello.ok ? { kind: 'message', message: hello.value } : { kind: 'refuse', code: hello.error.code, message: hello.error.message };
  }
  if (!ctx.registered && (!line.startsWith('/') || nickCommand)) {
    const hello = validateClientMessage({ type: 'hello', nick: nickCommand?.[1] ?? line, client: 'text' });
    return hello.ok ? { kind: 'message', message: hello.value } : { kind: 'refuse', code: hello.error.code, message: hello.error.message };
  }
  const outcome = parseInput(line, { room: ctx.room });
  if (outcome.kind === 'error') return { kind: 'refuse', code: outcome.code ?? ErrorCode.BAD_MESSAGE, message: outcome.message };
  return outcome;
}
