import type { ServerMessage } from '../shared/protocol.js';

/**
 * One server message on its way to one or many connections. Each wire form is built at most once,
 * however many recipients share it: a broadcast is serialized once, not once per member.
 */
export class Outgoing {
  private jsonCache?: string;
  private lineCache?: Buffer;
  private wsFrameCache?: Buffer;
  private textCache?: string;

  constructor(readonly message: ServerMessage) {}

  get json(): string {
    return (this.jsonCache ??= JSON.stringify(this.message));
  }

  /** The JSON text plus '\n': one NDJSON line. */
  get line(): Buffer {
    return (this.lineCache ??= Buffer.from(`${this.json}\n`));
  }

  /** A complete unmasked WebSocket text frame, header and payload, written as is to every member's socket. */
  get wsFrame(): Buffer {
    return (this.wsFrameCache ??= textFrame(this.json));
  }

  /** A human rendering; the renderer is the transport's, the caching is shared. */
  text(render: (message: ServerMessage) => string): string {
    return (this.textCache ??= render(this.message));
  }
}

function textFrame(json: string): Buffer {
  const n = Buffer.byteLength(json);
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
  frame.write(json, headerLength);
  return frame;
}
