import type { ServerMessage } from '../shared/protocol.js';

/**
 * One server message on its way to one or many connections. Each wire form is built at most once,
 * however many recipients share it: a broadcast is serialized once, not once per member.
 */
export class Outgoing {
  private payloadCache?: Buffer;
  private lineCache?: Buffer;
  private textCache?: string;
  private wsFrameCache?: Buffer;

  constructor(readonly message: ServerMessage) {}

  /** The JSON text as UTF-8: a WebSocket frame's payload. */
  get payload(): Buffer {
    return (this.payloadCache ??= Buffer.from(JSON.stringify(this.message)));
  }

  /** The JSON text plus '\n': one NDJSON line. */
  get line(): Buffer {
    return (this.lineCache ??= Buffer.from(`${JSON.stringify(this.message)}\n`));
  }

  /** A complete unmasked WebSocket text frame, header and payload, written as is to every member's socket. */
  get wsFrame(): Buffer {
    return (this.wsFrameCache ??= textFrame(this.payload));
  }

  /** A human rendering; the renderer is the transport's, the caching is shared. */
  text(render: (message: ServerMessage) => string): string {
    return (this.textCache ??= render(this.message));
  }
}

function textFrame(payload: Buffer): Buffer {
  const n = payload.length;
  const headerLength = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + n);
  frame[0] = 0x81; // FIN + text opcode
  if (n < 126) {
    frame[1] = n;
  } else if (n < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  payload.copy(frame, headerLength);
  return frame;
}
