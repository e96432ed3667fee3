/** A TCP JSON client that reads at a fixed number of bytes per second, like a client on a slow link. */
import net from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import type { ServerMessage } from '../../shared/protocol.js';

export class SlowReader {
  private text = '';
  private readonly decoder = new StringDecoder('utf8');
  private readonly timer: NodeJS.Timeout;
  closed = false;

  private constructor(readonly socket: net.Socket, private bytesPerTick: number) {
    // No 'data' listener: the socket stays paused, and what it does not read stays in the kernel.
    this.timer = setInterval(() => this.read(), 50);
    socket.on('close', () => { this.closed = true; });
    socket.on('error', () => {});
  }

  static connect(port: number, nick: string, bytesPerSecond: number): Promise<SlowReader> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(`${JSON.stringify({ type: 'hello', nick })}\n`);
        resolve(new SlowReader(socket, bytesPerSecond / 20));
      });
      socket.once('error', reject);
    });
  }

  /** Reads as fast as it can from now on. */
  speedUp(): void {
    this.bytesPerTick = Infinity;
  }

  /** Every JSON message received so far. */
  messages(): ServerMessage[] {
    return this.text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as ServerMessage);
  }

  /** Bytes received so far. */
  get received(): number {
    return Buffer.byteLength(this.text);
  }

  close(): void {
    clearInterval(this.timer);
    this.socket.destroy();
  }

  private read(): void {
    let left = this.bytesPerTick;
    while (left > 0 && this.socket.readableLength > 0) {
      const chunk = this.socket.read(Math.min(left, this.socket.readableLength)) as Buffer | null;
      if (!chunk) break;
      left -= chunk.length;
      this.text += this.decoder.write(chunk);
    }
    // read() only refills from the kernel once the buffer runs low; ask for more explicitly.
    if (this.socket.readableLength === 0) this.socket.read(0);
  }
}
