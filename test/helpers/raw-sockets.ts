/** Raw TCP sockets from a chosen loopback address, for admission tests. */
import net from 'node:net';
import WebSocket from 'ws';

export interface RawSocket { socket: net.Socket; text: () => string; closed: Promise<void> }

export function connectFrom(port: number, localAddress: string): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    let text = '';
    socket.on('data', (d: Buffer) => { text += d.toString('latin1'); });
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve({ socket, text: () => text, closed });
    });
  });
}

/**
 * What happens to a socket that sends nothing: 'greeted' (admitted: the text banner came), the error
 * code it was refused with, or 'dropped' (closed without a word).
 */
export async function silentOutcome(raw: RawSocket): Promise<string> {
  for (;;) {
    const text = raw.text();
    if (text.includes('Choose a nick')) return 'greeted';
    const error = /"code":"(\w+)"/.exec(text);
    if (error && text.includes('"type":"bye"')) return error[1]!;
    if (raw.socket.destroyed) return text === '' ? 'dropped' : `closed after ${JSON.stringify(text)}`;
    await new Promise((resolve) => { raw.socket.once('data', resolve); raw.socket.once('close', resolve); });
  }
}

/** A WebSocket upgrade from `localAddress` that the server refuses: its HTTP status and body. */
export function upgradeRefusal(url: string, localAddress: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress });
    ws.on('open', () => reject(new Error('the upgrade was accepted')));
    ws.on('error', () => {});
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
  });
}
