/** The client half of RFC 6455, just enough for load: handshake, masked text frames, a frame reader. */
import { createHash, randomBytes } from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
export const OP_CONT = 0x0;
export const OP_TEXT = 0x1;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

export function handshakeRequest(host: string, port: number): { request: string; accept: string } {
  const key = randomBytes(16).toString('base64');
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  const request =
    `GET / HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  return { request, accept };
}

/** Checks a complete response head (up to the blank line); returns an error text or null. */
export function checkHandshakeResponse(head: string, accept: string): string | null {
  if (!/^HTTP\/1\.1 101/.test(head)) return `upgrade refused: ${head.split('\r\n')[0] ?? ''}`;
  const m = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head);
  if (!m || m[1] !== accept) return 'bad Sec-WebSocket-Accept';
  return null;
}

/** One masked client frame; the mask key is random per frame as the RFC requires. */
export function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const out = Buffer.allocUnsafe(2 + ext + 4 + len);
  out[0] = 0x80 | opcode;
  if (ext === 0) out[1] = 0x80 | len;
  else if (ext === 2) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(len), 2);
  }
  const m = 2 + ext;
  const r = (Math.random() * 0x100000000) >>> 0;
  out.writeUInt32BE(r, m);
  for (let i = 0; i < len; i++) out[m + 4 + i] = payload[i]! ^ out[m + (i & 3)]!;
  return out;
}

export function encodeText(text: string): Buffer {
  return encodeFrame(OP_TEXT, Buffer.from(text));
}

export interface FrameSink {
  /** Whether the payload of the text frame that starts now must be kept (set-up), or skipped (load). */
  wantText(): boolean;
  onText(payload: Buffer): void;
  onControl(opcode: number, payload: Buffer): void;
}

/**
 * Incremental reader of server frames (unmasked). Payloads that nobody wants are skipped without
 * copying; wanted ones are copied out, since the read buffer is shared by every socket.
 */
export class FrameReader {
  private readonly head = Buffer.alloc(14);
  private headLen = 0;
  private left = 0;
  private opcode = 0;
  private keep = false;
  private parts: Buffer[] = [];
  private textKeep = false;
  private finFlag = true;

  constructor(private readonly sink: FrameSink) {}

  push(view: Buffer): void {
    let p = 0;
    const end = view.length;
    while (p < end) {
      if (this.left > 0) {
        const n = Math.min(this.left, end - p);
        if (this.keep) this.parts.push(Buffer.from(view.subarray(p, p + n)));
        p += n;
        this.left -= n;
        if (this.left === 0) this.finish();
        continue;
      }
      const used = this.readHead(view, p, end);
      if (used === 0) return;
      p += used;
      if (this.left === 0) this.finish();
    }
  }

  /** Consumes header bytes; returns how many, or 0 after stashing an incomplete header. */
  private readHead(view: Buffer, p: number, end: number): number {
    const prev = this.headLen;
    let h = view;
    let at = p;
    let have = end - p;
    if (prev > 0 || have < 14) {
      // Rare: a header cut by a read boundary (or a short tail) is assembled in a small buffer.
      const take = Math.min(14 - prev, have);
      view.copy(this.head, prev, p, p + take);
      h = this.head;
      at = 0;
      have = prev + take;
    }
    if (have < 2) {
      this.headLen = have;
      return 0;
    }
    const code = h[at + 1]! & 0x7f;
    const size = code < 126 ? 2 : code === 126 ? 4 : 10;
    if (have < size) {
      this.headLen = have;
      return 0;
    }
    this.headLen = 0;
    const b0 = h[at]!;
    const op = b0 & 0x0f;
    this.left = code < 126 ? code : code === 126 ? h.readUInt16BE(at + 2) : Number(h.readBigUInt64BE(at + 2));
    if (op !== OP_CONT) this.opcode = op;
    if (op === OP_TEXT) this.textKeep = this.sink.wantText();
    this.keep = this.opcode >= 0x8 || (this.opcode === OP_TEXT && this.textKeep);
    this.finFlag = (b0 & 0x80) !== 0;
    return size - prev;
  }

  private finish(): void {
    if (!this.finFlag && this.opcode < 0x8) return;
    const payload = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    if (this.opcode >= 0x8) this.sink.onControl(this.opcode, payload);
    else if (this.keep) this.sink.onText(payload);
    this.keep = false;
  }
}
