/**
 * The input path after the connection's InputGate (which paces it): parsing, the registration check and
 * the command table, in that order. Every failure becomes `error{code, message, ref}` on the same
 * connection, which stays open.
 */
import { ErrorCode, ProtocolFault } from '../shared/errors.js';
import { parseClientMessage } from '../shared/parse.js';
import type { ClientMessage } from '../shared/protocol.js';
import { COMMANDS, type CommandSpec } from './commands/index.js';
import { EngineError } from './engine/engine.js';
import type { Hub } from './hub.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { Session } from './session.js';

export class Dispatcher {
  constructor(
    private readonly hub: Hub,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  /** One JSON frame or line, already checked for size and UTF-8 by the transport. */
  receiveRaw(session: Session, raw: string): void | Promise<void> {
    if (session.closed) return;
    this.metrics.messagesIn.inc();
    const parsed = parseClientMessage(raw);
    if (!parsed.ok) {
      const { code, message, ref } = parsed.error;
      this.hub.fail(session, code, message, ref);
      return;
    }
    return this.run(session, parsed.value);
  }

  /** One message built by a transport itself (the TCP text mode's commands). */
  receive(session: Session, message: ClientMessage): void | Promise<void> {
    if (session.closed) return;
    this.metrics.messagesIn.inc();
    return this.run(session, message);
  }

  /**
   * Input a transport refused (oversize, bad UTF-8, binary frame, a text-mode usage error). It is still a
   * message, paced like any other; oversize also counts as a strike.
   */
  refuse(session: Session, code: ErrorCode, message: string): void {
    if (session.closed) return;
    this.metrics.messagesIn.inc();
    this.hub.fail(session, code, message);
    if (code === ErrorCode.TOO_LARGE) this.hub.strike(session);
  }

  /** A message that arrived while the connection already had as many waiting as it may: refused, and a strike. */
  overflow(session: Session, ref?: string): void {
    if (session.closed) return;
    this.metrics.messagesIn.inc();
    this.metrics.rateLimited.inc();
    this.hub.fail(session, ErrorCode.RATE_LIMITED, 'too many messages; slow down', ref);
    this.hub.strike(session);
  }

  /**
   * Runs the command. A handler that waits for the engine returns its promise, which the connection's
   * input gate holds on to: a session's requests are answered in the order it sent them.
   */
  private run(session: Session, message: ClientMessage): void | Promise<void> {
    const spec = COMMANDS[message.type] as CommandSpec;
    if (!session.registered && !spec.preRegistration) {
      this.hub.fail(session, ErrorCode.NOT_REGISTERED, 'send hello first', message.ref);
      return;
    }
    if (session.account === null && this.hub.config.requireAccount && !spec.preRegistration && !spec.guest) {
      this.hub.fail(session, ErrorCode.ACCOUNT_REQUIRED, 'this server needs an account: register or identify first', message.ref);
      return;
    }
    try {
      const pending = spec.handle(this.hub, session, message);
      if (pending) return pending.catch((err: unknown) => this.failed(session, message, err));
    } catch (err) {
      this.failed(session, message, err);
    }
  }

  private failed(session: Session, message: ClientMessage, err: unknown): void {
    if (session.closed) return;
    if (err instanceof ProtocolFault) {
      this.hub.fail(session, err.code, err.message, message.ref);
    } else if (err instanceof EngineError) {
      // The engine could not do it (a history read failed): the message says why, for the client too.
      this.log.warn({ err: err.message, sid: session.id, type: message.type }, 'request failed in the engine');
      this.hub.fail(session, ErrorCode.INTERNAL, err.message, message.ref);
    } else {
      this.log.error({ err, sid: session.id, type: message.type }, 'handler failed');
      this.hub.fail(session, ErrorCode.INTERNAL, 'the server failed to handle that message', message.ref);
    }
  }
}
