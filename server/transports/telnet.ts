/**
 * Turns the bytes of a telnet or nc session into input lines. Telnet option negotiation never leaks into
 * text: every DO/WILL is refused once (we ask for nothing), subnegotiations are skipped, IAC IAC is a
 * literal 0xFF. Enter may come as CR, CRLF, CR NUL or LF. Backspace, DEL and IAC EC erase a character,
 * IAC EL the line. A line over `maxBytes` is reported once and skipped to its end.
 */
const IAC = 255, DONT = 254, DO = 253, WONT = 252, WILL = 251, SB = 250, EL = 248, EC = 247, SE = 240;
const CR = 13, LF = 10, NUL = 0, BS = 8, DEL = 127;

const enum State { Data, Iac, Option, Sub, SubIac }

export class TelnetLineDecoder {
  private state = State.Data;
  private verb = 0;
  private afterCr = false;
  private line: Buffer = Buffer.allocUnsafe(256);
  private length = 0;
  private oversize = false;
  private readonly refused = new Set<number>();

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: Buffer) => void,
    private readonly onOversize: () => void,
    private readonly reply: (bytes: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    for (const byte of chunk) this.step(byte);
  }

  private step(byte: number): void {
    switch (this.state) {
      case State.Data:
        if (byte === IAC) this.state = State.Iac;
        else this.data(byte);
        return;
      case State.Iac:
        this.state = State.Data;
        if (byte === IAC) this.data(byte);
        else if (byte >= WILL && byte <= DONT) { this.verb = byte; this.state = State.Option; }
        else if (byte === SB) this.state = State.Sub;
        else if (byte === EC) this.erase();
        else if (byte === EL) this.length = 0;
        return;
      case State.Option:
        this.state = State.Data;
        this.refuse(this.verb, byte);
        return;
      case State.Sub:
        if (byte === IAC) this.state = State.SubIac;
        return;
      case State.SubIac:
        this.state = byte === SE ? State.Data : State.Sub;
        return;
    }
  }

  private data(byte: number): void {
    const afterCr = this.afterCr;
    this.afterCr = false;
    if (byte === CR) {
      this.afterCr = true;
      this.endLine();
    } else if (byte === LF || byte === NUL) {
      if (!afterCr && byte === LF) this.endLine();
    } else if (byte === BS || byte === DEL) {
      this.erase();
    } else {
      this.append(byte);
    }
  }

  private append(byte: number): void {
    if (this.oversize) return;
    if (this.length >= this.maxBytes) {
      this.oversize = true;
      this.length = 0;
      this.onOversize();
      return;
    }
    if (this.length === this.line.length) {
      const bigger = Buffer.allocUnsafe(Math.min(this.maxBytes, this.line.length * 2));
      this.line.copy(bigger, 0, 0, this.length);
      this.line = bigger;
    }
    this.line[this.length++] = byte;
  }

  /** Removes the last character: one UTF-8 sequence, not one byte. */
  private erase(): void {
    while (this.length > 0 && (this.line[this.length - 1]! & 0xc0) === 0x80) this.length--;
    if (this.length > 0) this.length--;
  }

  private endLine(): void {
    if (this.oversize) {
      this.oversize = false;
      return;
    }
    const line = Buffer.from(this.line.subarray(0, this.length));
    this.length = 0;
    this.onLine(line);
  }

  private refuse(verb: number, option: number): void {
    if (verb !== DO && verb !== WILL) return;
    const key = verb * 256 + option;
    if (this.refused.has(key)) return;
    this.refused.add(key);
    this.reply(Buffer.from([IAC, verb === DO ? WONT : DONT, option]));
  }
}
