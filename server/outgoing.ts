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
  private ircCache?: Map<string, Buffer>;

  constructor(readonly message: ServerMessage) {}

  /** Every message this carries, in order. */
  get messages(): readonly ServerMessage[] {
    return [this.message];
  }

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

  /**
   * An IRC rendering, shared by the recipients that see the message alike (`variant`: the capabilities
   * that change its form): a room's message is rendered and encoded once per variant, not per member.
   */
  irc(variant: string, renderer: { ircForm(message: ServerMessage): string }): Buffer {
    const cache = (this.ircCache ??= new Map());
    let bytes = cache.get(variant);
    if (bytes === undefined) cache.set(variant, (bytes = Buffer.from(renderer.ircForm(this.message))));
    return bytes;
  }
}

/**
 * Messages that go out back to back to many connections as one write: each wire form is the parts'
 * forms joined, built once for every recipient.
 */
export class OutgoingBatch extends Outgoing {
  private batchLine?: Buffer;
  private batchFrames?: Buffer;
  private batchText?: string;

  /** `whole`: the batch this one ends, whose bytes it shares instead of copying them. */
  constructor(
    readonly parts: readonly Outgoing[],
    private readonly whole: OutgoingBatch | null = null,
  ) {
    super(parts[parts.length - 1]!.message);
  }

  override get messages(): readonly ServerMessage[] {
    return this.parts.map((p) => p.message);
  }

  override get json(): string {
    throw new Error('a batch has no single JSON form');
  }

  override get line(): Buffer {
    return (this.batchLine ??= this.whole
      ? tail(this.whole.line, this.parts, (p) => p.line.length)
      : Buffer.concat(this.parts.map((p) => p.line)));
  }

  override get wsFrame(): Buffer {
    return (this.batchFrames ??= this.whole
      ? tail(this.whole.wsFrame, this.parts, (p) => p.wsFrame.length)
      : Buffer.concat(this.parts.map((p) => p.wsFrame)));
  }

  override text(render: (message: ServerMessage) => string): string {
    return (this.batchText ??= this.whole
      ? tail(this.whole.text(render), this.parts, (p) => p.text(render).length)
      : this.parts.map((p) => p.text(render)).join(''));
  }

  /** The parts after the `index`th, or null when there are none. */
  after(index: number): OutgoingBatch | null {
    if (index + 1 >= this.parts.length) return null;
    return new OutgoingBatch(this.parts.slice(index + 1), this.whole ?? this);
  }
}

/** The end of `whole` that holds `parts`' forms (a view for a Buffer, a slice for a string). */
function tail<T extends Buffer | string>(whole: T, parts: readonly Outgoing[], size: (p: Outgoing) => number): T {
  let length = 0;
  for (const p of parts) length += size(p);
  return (typeof whole === 'string' ? whole.slice(whole.length - length) : whole.subarray(whole.length - length)) as T;
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
