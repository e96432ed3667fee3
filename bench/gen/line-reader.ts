/** Splits a byte stream into lines (LF, optional CR before it); used only while setting up. */
export class LineReader {
  private partial: Buffer | null = null;

  constructor(private readonly onLine: (line: string) => void) {}

  push(view: Buffer): void {
    let start = 0;
    let nl = view.indexOf(0x0a);
    while (nl !== -1) {
      let line = view.subarray(start, nl);
      if (this.partial) {
        line = Buffer.concat([this.partial, line]);
        this.partial = null;
      }
      const n = line.length > 0 && line[line.length - 1] === 0x0d ? line.length - 1 : line.length;
      this.onLine(line.toString('utf8', 0, n));
      start = nl + 1;
      nl = view.indexOf(0x0a, start);
    }
    if (start < view.length) {
      const rest = Buffer.from(view.subarray(start));
      this.partial = this.partial ? Buffer.concat([this.partial, rest]) : rest;
    }
  }

  /** Forgets a partial line, when switching to token scanning. */
  reset(): void {
    this.partial = null;
  }
}
