/**
 * Timestamps embedded in message text: `$` + kind letter + 10 digits (µs since the run's epoch) + `$`.
 * Nothing else the servers send contains `$` (nanoid ids, nicks and rooms cannot), so receivers find
 * tokens with a native byte search instead of parsing every frame or line.
 */
export const TOKEN_LEN = 13;
const DOLLAR = 0x24;
const ZERO = 0x30;

export const KIND_TEXT = 0x54; // 'T': a delivered room message (from a sender on node 0 of a cluster)
/** A cluster lane's sender on node k marks its text with 'T' + k ('U', 'V', ...), so a receiver can tell same-node from cross-node. */
export const MAX_NODES = 4;
export const KIND_ACK = 0x41; // 'A': the ref of a say, echoed back in ack
export const KIND_PONG = 0x50; // 'P': the ref of a ping that ends set-up

export type TokenKind = 'T' | 'U' | 'V' | 'W' | 'A' | 'P';

/** The text kind of a sender on `node`. */
export function textKind(node: number): TokenKind {
  return (['T', 'U', 'V', 'W'] as const)[node] ?? 'T';
}

export function makeToken(kind: TokenKind, us: number): string {
  const n = Math.max(0, Math.min(9_999_999_999, Math.floor(us)));
  return `$${kind}${String(n).padStart(10, '0')}$`;
}

/** Parses a token at `p` (buf[p] is '$'); returns its value or -1 when the bytes are not a token. */
function readToken(buf: Buffer, p: number): number {
  if (buf[p + 12] !== DOLLAR) return -1;
  let v = 0;
  for (let i = p + 2; i < p + 12; i++) {
    const d = buf[i]! - ZERO;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

export type TokenSink = (kind: number, us: number) => void;

/**
 * Finds tokens in a byte stream that arrives in arbitrary chunks. A token cut by a chunk boundary is
 * completed from a carried tail of at most TOKEN_LEN - 1 bytes, so every token is seen exactly once.
 */
export class TokenScanner {
  private tail: Buffer | null = null;

  constructor(private readonly scratch: Buffer) {}

  /** `view` must be exactly the new bytes (a subarray), since indexOf cannot be bounded. */
  scan(view: Buffer, sink: TokenSink): void {
    const hadTail = this.tail !== null;
    if (hadTail) this.scanJoint(view, sink);
    const end = view.length;
    let p = view.indexOf(DOLLAR);
    while (p !== -1 && p + TOKEN_LEN <= end) {
      const v = readToken(view, p);
      if (v >= 0) {
        sink(view[p + 1]!, v);
        p = view.indexOf(DOLLAR, p + TOKEN_LEN);
      } else {
        p = view.indexOf(DOLLAR, p + 1);
      }
    }
    if (end >= TOKEN_LEN - 1 || !hadTail) {
      this.tail = p === -1 ? null : Buffer.from(view.subarray(Math.max(p, end - (TOKEN_LEN - 1))));
    }
  }

  /** Tokens that start in the carried tail and end in `view`. */
  private scanJoint(view: Buffer, sink: TokenSink): void {
    const tail = this.tail!;
    const head = Math.min(view.length, TOKEN_LEN - 1);
    const joint = this.scratch.subarray(0, tail.length + head);
    tail.copy(joint, 0);
    view.copy(joint, tail.length, 0, head);
    let p = joint.indexOf(DOLLAR);
    while (p !== -1 && p < tail.length && p + TOKEN_LEN <= joint.length) {
      const v = readToken(joint, p);
      if (v >= 0) {
        sink(joint[p + 1]!, v);
        p = joint.indexOf(DOLLAR, p + TOKEN_LEN);
      } else {
        p = joint.indexOf(DOLLAR, p + 1);
      }
    }
    // A short chunk may leave a token still incomplete: keep carrying the joint's end.
    this.tail = view.length < TOKEN_LEN - 1 ? Buffer.from(joint.subarray(Math.max(0, joint.length - (TOKEN_LEN - 1)))) : null;
  }
}
