/**
 * Splits a byte stream into '\n'-terminated lines (a trailing '\r' is dropped) with a hard cap, so a
 * peer that never sends a newline cannot grow our memory: the over-long line is reported once and
 * skipped up to its end, and the stream carries on.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private skipping = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: Buffer) => void,
    private readonly onOversize: () => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) {
        this.keep(chunk.subarray(start));
        return;
      }
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.skipping) {
        this.skipping = false;
        continue;
      }
      if (this.pendingBytes + piece.length > this.maxBytes) {
        this.reset();
        this.onOversize();
        continue;
      }
      let line = piece;
      if (this.pendingBytes > 0) {
        this.pending.push(piece);
        line = Buffer.concat(this.pending, this.pendingBytes + piece.length);
        this.reset();
      }
      this.onLine(line.length > 0 && line[line.length - 1] === 13 ? line.subarray(0, -1) : line);
    }
  }

  private keep(rest: Buffer): void {
    if (this.skipping) return;
    if (this.pendingBytes + rest.length > this.maxBytes) {
      this.reset();
      this.skipping = true;
      this.onOversize();
      return;
    }
    // Copy: the socket's chunk may be a slice of a larger pooled buffer we must not pin.
    this.pending.push(Buffer.from(rest));
    this.pendingBytes += rest.length;
  }

  private reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }
}
