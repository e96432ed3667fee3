/**
 * The IRC port over TLS (--irc-port with --tls-cert/--tls-key), with a certificate made by openssl for
 * this file: a TLS client registers and chats; plain text is refused in words and the socket closed.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificates, type TestCertificates } from '../helpers/certs.js';
import { startInProcess, type InProcessServer } from '../helpers/in-process.js';
import { IrcClient } from '../helpers/irc-client.js';
import { makeTempDir, removeDir } from '../helpers/server.js';

let dir: string;
let certs: TestCertificates;
let server: InProcessServer;

beforeAll(async () => {
  dir = makeTempDir('chat-irc-tls-');
  certs = makeCertificates(dir);
  const leaf = certs.leaf('chat-irc');
  server = await startInProcess({ args: ['--irc-port', '0', '--tls-cert', leaf.cert, '--tls-key', leaf.key] });
});
afterAll(async () => {
  await server.server.stop();
  removeDir(server.dataDir);
  removeDir(dir);
});

describe('IRC over TLS', () => {
  it('a client that trusts the CA registers, joins and is answered', async () => {
    const c = await IrcClient.tls(server.server.ircPort!, { ca: certs.caPem });
    try {
      c.send('NICK secure');
      c.send('USER secure 0 * :Secure');
      expect(await c.next('001')).toMatchObject({ params: ['secure', expect.any(String)] });
      c.send('JOIN #vault');
      expect(await c.next('366')).toMatchObject({ params: ['secure', '#vault', expect.any(String)] });
    } finally {
      c.close();
    }
  });

  it('plain text on the TLS port is refused in words', async () => {
    const socket = net.connect(server.server.ircPort!, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => { text += d.toString('latin1'); });
    socket.on('error', () => {});
    await new Promise((resolve) => socket.on('connect', resolve));
    socket.write('NICK plain\r\nUSER plain 0 * :Plain\r\n');
    await new Promise((resolve) => socket.on('close', resolve));
    expect(text).toMatch(/^ERROR :This port speaks TLS; connect with TLS to 127\.0\.0\.1:\d+\r\n$/);
  });
});
