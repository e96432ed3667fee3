import type { ServerMessage } from '../shared/protocol.js';

/**
 * One server message on its way to one or many connections. Each wire form is built at most once,
 * however many recipients share it: a broadcast is serialized once, not once per member.
 */
export class Outgoing {
  private payloadCache?: Buffer;
  private lineCache?: Buffer;
  private textCache?: string;

  constructor(readonly message: ServerMessage) {}

  /** The JSON text as UTF-8: a WebSocket frame's payload. */
  get payload(): Buffer {
    return (this.payloadCache ??= Buffer.from(JSON.stringify(this.message)));
  }

  /** The JSON text plus '\n': one NDJSON line. */
  get line(): Buffer {
    return (this.lineCache ??= Buffer.from(`${JSON.stringify(this.message)}\n`));
  }

  /** A human rendering; the renderer is the transport's, the caching is shared. */
  text(render: (message: ServerMessage) => string): string {
    return (this.textCache ??= render(this.message));
  }
}
