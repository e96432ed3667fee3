import type { ClientMessage, ClientMessageType } from '../../shared/protocol.js';
import type { Hub } from '../hub.js';
import type { Session } from '../session.js';

export interface CommandSpec<T extends ClientMessage = ClientMessage> {
  /** Allowed before `hello` has succeeded. */
  preRegistration?: boolean;
  /** Allowed to guests on a server that requires accounts (--require-account). */
  guest?: boolean;
  /**
   * Carries out one request; throws (or rejects with) ProtocolFault for an error answer. A handler that
   * waits for the engine returns a promise; the session's next request waits for it.
   */
  handle(hub: Hub, session: Session, message: T): void | Promise<void>;
}

export type CommandTable = { [K in ClientMessageType]: CommandSpec<Extract<ClientMessage, { type: K }>> };
