/** The terminal client in tmux against a real TLS server: tls:// with and without --ca. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificates, type TestCertificates } from '../helpers/certs.js';
import { makeTempDir, removeDir, ROOT, startServer, type RunningServer } from '../helpers/server.js';
import { connectPeer, waitFor, type Peer } from './helpers.js';
import { Tmux } from './tmux.js';

const CLIENT = path.join(ROOT, 'dist/client/main.js');

let dir: string;
let certs: TestCertificates;
let server: RunningServer;
let carol: Peer | undefined;
const tmux = new Tmux(`chat-e2e-tls-${process.pid}`);

beforeAll(async () => {
  dir = makeTempDir('chat-e2e-tls-');
  certs = makeCertificates(dir);
  const leaf = certs.leaf('chat-server');
  server = await startServer({ args: ['--tls-cert', leaf.cert, '--tls-key', leaf.key, '--rate-limit', '0'] });
});

afterAll(async () => {
  await tmux.kill();
  await carol?.close();
  await server?.stop('SIGKILL');
  if (server) removeDir(server.dataDir);
  removeDir(dir);
});

describe('the terminal client over TLS', () => {
  it('says why it cannot trust the certificate without --ca, and chats with it', async () => {
    const address = `tls://127.0.0.1:${server.tcpPort}`;
    // Wide enough for the whole reason on one line.
    await tmux.start('doubter', `node ${CLIENT} ${address} --nick doubter`, 260);
    const refused = await tmux.waitForScreen('doubter', 'the certificate refused', (s) => s.includes('certificate not trusted'), 15_000);
    expect(refused).toContain(`could not connect to ${address}: certificate not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE): if the server uses a private CA, give it with --ca FILE`);

    await tmux.start('alice', `node ${CLIENT} ${address} --ca ${certs.ca} --nick alice`);
    await tmux.waitForScreen('alice', 'alice online in #lobby', (s) => /● online/.test(s) && /^\[#lobby\]/m.test(s));
    carol = await connectPeer(`wss://127.0.0.1:${server.wsPort}`, 'carol', { ca: certs.caPem });
    carol.send({ type: 'say', room: '#lobby', text: 'hi alice, over wss' });
    await tmux.waitForScreen('alice', 'carol\'s line', (s) => s.includes('<carol> hi alice, over wss'));
    await tmux.type('alice', 'hello over tls');
    await tmux.keys('alice', 'Enter');
    await waitFor('carol hears alice', () => carol!.received.some((m) => m.type === 'message' && m.from === 'alice' && m.text === 'hello over tls'));
    // The doubter is still trying, with nothing on its screen but the one line about it.
    expect((await tmux.screenWithHistory('doubter')).match(/could not connect/g)).toHaveLength(1);
  });
});
