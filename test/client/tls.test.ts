/**
 * The client's network layer over TLS against real servers: wss:// and tls:// with a private CA, a
 * certificate it does not trust, and the wrong scheme for a port, each with a reason a person can act on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseServerAddress } from '../../client/net/address.js';
import { ChatClient, type NetEvent } from '../../client/net/chat-client.js';
import { connectionFailure } from '../../client/net/tls-failure.js';
import { explainFailure, outageNote } from '../../client/state/connection-notes.js';
import { makeCertificates, type TestCertificates } from '../helpers/certs.js';
import { makeTempDir, removeDir, startServer, type RunningServer } from '../helpers/server.js';
import { waitFor } from './helpers.js';

let dir: string;
let certs: TestCertificates;
let secure: RunningServer;
let plain: RunningServer;
const clients: ChatClient[] = [];

beforeAll(async () => {
  dir = makeTempDir('chat-client-tls-');
  certs = makeCertificates(dir);
  const leaf = certs.leaf('chat-server');
  [secure, plain] = await Promise.all([
    startServer({ args: ['--tls-cert', leaf.cert, '--tls-key', leaf.key, '--rate-limit', '0'] }),
    startServer({ args: ['--rate-limit', '0'] }),
  ]);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  for (const s of [secure, plain]) {
    await s?.stop('SIGKILL');
    if (s) removeDir(s.dataDir);
  }
  removeDir(dir);
});

function client(url: string, nick: string, ca?: string): { chat: ChatClient; events: NetEvent[] } {
  const address = parseServerAddress(url);
  if (typeof address === 'string') throw new Error(address);
  const chat = new ChatClient({ address, nick, backoff: { baseMs: 100, maxMs: 400 }, ca });
  const events: NetEvent[] = [];
  chat.onEvent((e) => events.push(e));
  clients.push(chat);
  chat.start();
  return { chat, events };
}

/** The reason of the first failed attempt. */
async function firstFailure(c: { events: NetEvent[] }): Promise<string> {
  const failed = await waitFor('a failed attempt', () => c.events.find((e) => e.type === 'status' && e.status.state === 'reconnecting'));
  return failed.type === 'status' ? failed.status.reason ?? '' : '';
}

describe('the client over TLS', () => {
  it('connects with wss:// and tls:// when given the private CA, and chats', async () => {
    const web = client(`wss://127.0.0.1:${secure.wsPort}`, 'webtls', certs.caPem);
    const line = client(`tls://127.0.0.1:${secure.tcpPort}`, 'linetls', certs.caPem);
    await waitFor('both online', () => web.chat.connectionState === 'online' && line.chat.connectionState === 'online');
    expect(line.chat.server).toBe(`tls://127.0.0.1:${secure.tcpPort}`);
    web.chat.send({ type: 'say', room: '#lobby', text: 'hello over wss', ref: 'w1' });
    await waitFor('the line client hears it', () => line.events.some((e) => e.type === 'message' && e.msg.type === 'message' && e.msg.text === 'hello over wss'));
    line.chat.send({ type: 'say', room: '#lobby', text: 'hello over tls', ref: 'l1' });
    await waitFor('the web client hears it', () => web.events.some((e) => e.type === 'message' && e.msg.type === 'message' && e.msg.text === 'hello over tls'));
  });

  it('without the CA, says the certificate is not trusted and how to fix it, and keeps trying', async () => {
    const reason = 'certificate not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE): if the server uses a private CA, give it with --ca FILE';
    for (const url of [`tls://127.0.0.1:${secure.tcpPort}`, `wss://127.0.0.1:${secure.wsPort}`]) {
      const c = client(url, 'untrusting');
      expect(await firstFailure(c)).toBe(reason);
      expect(outageNote(c.chat.server, false, reason)).toBe(`could not connect to ${url}: ${reason}; retrying (Ctrl+C quits)`);
      // Following the pattern for every failure: it retries (a server fixed by a reload is picked up).
      await waitFor('a second attempt', () => c.events.filter((e) => e.type === 'status' && e.status.state === 'connecting').length >= 2);
      await c.chat.stop();
    }
  });

  it('says which scheme a port wants when the scheme is wrong', async () => {
    const tcpToTls = client(`tcp://127.0.0.1:${secure.tcpPort}`, 'wrong1');
    expect(await firstFailure(tcpToTls)).toBe(`this port speaks TLS; connect with tls://127.0.0.1:${secure.tcpPort}`);
    const wsToWss = client(`ws://127.0.0.1:${secure.wsPort}`, 'wrong2');
    const page = await firstFailure(wsToWss);
    expect(page).toBe(`Unexpected server response: 400 (this port speaks TLS: use https://127.0.0.1:${secure.wsPort}/ or wss://127.0.0.1:${secure.wsPort}/)`);
    expect(explainFailure(page)).toMatch(/^this port speaks TLS: use wss:\/\/ \(/);
    const tlsToTcp = client(`tls://127.0.0.1:${plain.tcpPort}`, 'wrong3', certs.caPem);
    expect(await firstFailure(tlsToTcp)).toMatch(/^the server does not speak TLS on this port \(.+\): use ws:\/\/ or tcp:\/\/, or the TLS port$/);
    const wssToWs = client(`wss://127.0.0.1:${plain.wsPort}`, 'wrong4', certs.caPem);
    expect(await firstFailure(wssToWs)).toMatch(/^the server does not speak TLS on this port \(.+\): use ws:\/\/ or tcp:\/\/, or the TLS port$/);
    await Promise.all([tcpToTls, wsToWss, tlsToTcp, wssToWs].map((c) => c.chat.stop()));
  });

  it('puts other TLS failures in words too, and leaves the rest as the system says them', () => {
    const failure = (code: string, message = 'x', extra = {}) => connectionFailure(Object.assign(new Error(message), { code, ...extra }));
    expect(failure('CERT_HAS_EXPIRED')).toBe("the server's certificate has expired (CERT_HAS_EXPIRED)");
    expect(failure('ERR_TLS_CERT_ALTNAME_INVALID', 'x', { host: 'chat.example.org' })).toBe("the server's certificate is not for chat.example.org (ERR_TLS_CERT_ALTNAME_INVALID)");
    expect(failure('ERR_SSL_TLSV1_ALERT_ACCESS_DENIED')).toMatch(/^the server refused the connection before TLS .*too many connections from this address, or it is full$/);
    expect(failure('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1')).toBe('connect ECONNREFUSED 127.0.0.1:1');
  });
});
