/**
 * Error codes sent in `error{code, message, ref?}`. Each has a one-line meaning; docs/protocol.md lists
 * the same set and a test keeps the two in step.
 */
export const ErrorCode = {
  /** The frame or line is not valid JSON. */
  BAD_JSON: 'BAD_JSON',
  /** Valid JSON, but not a message this server accepts: not an object, unknown type, a missing or wrong-typed field, a binary frame. */
  BAD_MESSAGE: 'BAD_MESSAGE',
  /** The frame or line is not valid UTF-8. */
  BAD_ENCODING: 'BAD_ENCODING',
  /** The frame or line is over the size limit (64 KiB). */
  TOO_LARGE: 'TOO_LARGE',
  /** Anything but `hello` before `hello` has succeeded. */
  NOT_REGISTERED: 'NOT_REGISTERED',
  /** `hello` on a connection that is already registered. */
  ALREADY_REGISTERED: 'ALREADY_REGISTERED',
  /** Someone else holds that nick (compared case-insensitively), or it looks like a registered nick (same skeleton). */
  NICK_TAKEN: 'NICK_TAKEN',
  /** The nick is registered: only its account may use it (send its password), or register it again. */
  NICK_REGISTERED: 'NICK_REGISTERED',
  /** Wrong password, or no account by that name. */
  LOGIN_FAILED: 'LOGIN_FAILED',
  /** The server was started with --password, and `hello` did not give it. */
  PASSWORD_REQUIRED: 'PASSWORD_REQUIRED',
  /** A new password breaks the password rules (8 to 256 characters). */
  PASSWORD_WEAK: 'PASSWORD_WEAK',
  /** Only a logged-in user may do that: on this server, in this room, or for this command. */
  ACCOUNT_REQUIRED: 'ACCOUNT_REQUIRED',
  /** The caller's address is banned from the server: the connection is refused and closed. */
  BANNED: 'BANNED',
  /** Only a server operator (or, in a room, the room's operators) may do that. */
  NOT_OPERATOR: 'NOT_OPERATOR',
  /** The room is invite-only and the caller was not invited. */
  INVITE_ONLY: 'INVITE_ONLY',
  /** The room has a key, and `join` did not give it (or gave another). */
  BAD_KEY: 'BAD_KEY',
  /** The caller may not speak in the room now: muted, or the room is moderated and they have no voice. */
  MUTED: 'MUTED',
  /** The nick breaks the nick rules. */
  NICK_INVALID: 'NICK_INVALID',
  /** No connected user has that nick. */
  NO_SUCH_USER: 'NO_SUCH_USER',
  /** The request names a room the sender has not joined. */
  NOT_IN_ROOM: 'NOT_IN_ROOM',
  /** The room name breaks the room rules. */
  ROOM_INVALID: 'ROOM_INVALID',
  /** The text breaks the text rules (empty, too long, control characters). */
  TEXT_INVALID: 'TEXT_INVALID',
  /** Too many messages too fast; the message was dropped. Repeated flooding ends in `bye`. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** The connection is in as many rooms as one may be, or the server holds as many rooms as it allows. */
  TOO_MANY_ROOMS: 'TOO_MANY_ROOMS',
  /** The room has as many members as the server allows in one room. */
  ROOM_FULL: 'ROOM_FULL',
  /** The server holds as many connections as it allows. */
  SERVER_FULL: 'SERVER_FULL',
  /** The caller's address holds too many connections, or opens them too fast; the new one is closed. */
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  /** This server cannot do that in the mode it runs in: `search` on a cluster (the Redis engine). */
  UNSUPPORTED: 'UNSUPPORTED',
  /** The server failed to carry out the request (for example, history could not be stored); nothing was sent. */
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A protocol error: a code from the table and a human sentence. */
export interface ProtocolError {
  readonly code: ErrorCode;
  readonly message: string;
}

export function protocolError(code: ErrorCode, message: string): ProtocolError {
  return { code, message };
}

/** Thrown by server command handlers; the dispatcher turns it into `error{code, message, ref}`. */
export class ProtocolFault extends Error implements ProtocolError {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolFault';
  }
}

export type Result<T, E = ProtocolError> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const fail = (code: ErrorCode, message: string): Result<never> => ({
  ok: false,
  error: { code, message },
});
