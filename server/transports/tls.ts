/**
 * TLS on the chat ports. Each accepted socket is admitted first (refusing is cheap, a handshake is not),
 * then its first byte decides: a TLS record (a ClientHello) is handshaked with the certificate loaded
 * now, anything else is plain text on the wrong port and gets one plain answer saying so. One deadline,
 * --handshake-timeout, bounds the wait for the first byte and the handshake together. The certificate
 * and key are read again by `reload()` (SIGHUP): connections already up keep the session they have.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import net, { type Socket } from 'node:net';
import tls, { type SecureContext, type TLSSocket } from 'node:tls';
import type { Admission, Ticket } from '../admission.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { admitSocket, carryTicket } from './admission-gate.js';

/** The first byte of a TLS handshake record. */
const TLS_HANDSHAKE = 0x16;

/**
 * A fatal `access_denied` alert: a socket refused before its handshake gets this instead of plain
 * text, so a TLS client reports a refusal rather than a protocol error.
 */
const ACCESS_DENIED_ALERT = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 49]);

export interface CertificateInfo {
  subject: string;
  /** SHA-256 fingerprint, as `openssl x509 -fingerprint -sha256` prints it. */
  fingerprint: string;
  validTo: string;
}

export interface LoadedCertificate {
  context: SecureContext;
  info: CertificateInfo;
}

/** Reads and checks a PEM certificate (chain) and its key; throws an Error that names the file at fault. */
export async function loadCertificate(certFile: string, keyFile: string): Promise<LoadedCertificate> {
  const read = async (file: string, what: string) => {
    try {
      return await readFile(file);
    } catch (err) {
      throw new Error(`cannot read the TLS ${what} ${file}: ${(err as Error).message}`);
    }
  };
  const [cert, key] = await Promise.all([read(certFile, 'certificate'), read(keyFile, 'key')]);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new Error(`${certFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  try {
    if (!x509.checkPrivateKey(createPrivateKey(key))) throw new Error(`the key in ${keyFile} does not belong to the certificate in ${certFile}`);
  } catch (err) {
    if ((err as Error).message.startsWith('the key in')) throw err;
    throw new Error(`${keyFile} holds no usable PEM private key (an encrypted key is not supported): ${(err as Error).message}`);
  }
  let context: SecureContext;
  try {
    context = tls.createSecureContext({ cert, key });
  } catch (err) {
    throw new Error(`cannot use ${certFile} and ${keyFile}: ${(err as Error).message}`);
  }
  return { context, info: { subject: x509.subject.replace(/\n/g, ', '), fingerprint: x509.fingerprint256, validTo: x509.validTo } };
}

export interface TlsOptions {
  certFile: string;
  keyFile: string;
  handshakeTimeoutMs: number;
  log: Logger;
  metrics: Metrics;
}

/** A socket between accept and its settling (the handshake for TCP, the upgrade for HTTP). */
interface Pending {
  raw: Socket;
  secure: TLSSocket | null;
  stage: 'first byte' | 'handshake' | 'secured' | 'refused';
  timer: NodeJS.Timeout;
}

export class TlsTerminator {
  private readonly pending = new Set<Pending>();

  /** `current` is what loadCertificate() read from the same files at start-up. */
  constructor(private readonly opts: TlsOptions, private current: LoadedCertificate) {
    this.loaded('tls certificate loaded');
  }

  get certificate(): CertificateInfo {
    return this.current.info;
  }

  /** Reads the files again; new handshakes use them. A bad file keeps the old certificate and throws. */
  async reload(): Promise<CertificateInfo> {
    try {
      this.current = await loadCertificate(this.opts.certFile, this.opts.keyFile);
    } catch (err) {
      this.opts.log.error({ error: (err as Error).message }, 'tls reload failed; keeping the certificate in use');
      throw err;
    }
    this.loaded('tls certificate reloaded');
    return this.current.info;
  }

  /**
   * A listener for one port: admits each socket, then hands it over secured (`onSecure`), or answers
   * plain text with `plainAnswer(address it connected to)` and closes. The deadline ends when
   * `settle` is called: at once for TCP, at the WebSocket upgrade for HTTP.
   */
  listener(admission: Admission, plainAnswer: (local: string) => string, onSecure: (secure: TLSSocket, ticket: Ticket, settle: () => void) => void): net.Server {
    const { metrics } = this.opts;
    return net.createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 }, (raw) => {
      const ticket = admitSocket(raw, admission, metrics, refusedBeforeHandshake);
      if (ticket) this.accept(raw, ticket, plainAnswer, onSecure);
    });
  }

  /** Cuts every socket still waiting for its first byte, its handshake or its upgrade (shutdown). */
  dropPending(): void {
    for (const p of this.pending) this.cut(p);
  }

  private accept(raw: Socket, ticket: Ticket, plainAnswer: (local: string) => string, onSecure: (secure: TLSSocket, ticket: Ticket, settle: () => void) => void): void {
    const { log, metrics, handshakeTimeoutMs } = this.opts;
    const remote = `${raw.remoteAddress}:${raw.remotePort}`;
    const p: Pending = { raw, secure: null, stage: 'first byte', timer: setTimeout(() => this.timedOut(p, remote), handshakeTimeoutMs) };
    this.pending.add(p);
    const settle = () => this.settle(p);
    raw.on('error', (err) => log.debug({ err, remote }, 'tls socket error'));
    raw.once('close', settle);
    raw.once('data', (first: Buffer) => {
      if (first[0] !== TLS_HANDSHAKE) {
        p.stage = 'refused';
        metrics.connectionsRefused.inc({ reason: 'plaintext' });
        log.info({ remote }, 'plain text on a TLS port: refused');
        raw.end(plainAnswer(hostPort(raw)));
        // Read and discard: closing with unread input would reset the answer away.
        raw.resume();
        return;
      }
      p.stage = 'handshake';
      raw.pause();
      raw.unshift(first);
      // Made here rather than by a tls.Server, which would start the handshake before the first byte could
      // be looked at; 'secure' is the event tls.Server itself waits for on the sockets it makes.
      const secure = new tls.TLSSocket(raw, { isServer: true, secureContext: this.current.context });
      p.secure = secure;
      const failed = (err: Error) => {
        metrics.connectionsRefused.inc({ reason: 'tls' });
        log.debug({ err, remote }, 'tls handshake failed');
        this.cut(p);
      };
      secure.on('error', failed);
      secure.once('secure', () => {
        p.stage = 'secured';
        secure.off('error', failed);
        carryTicket(raw, secure);
        onSecure(secure, ticket, settle);
      });
    });
  }

  private settle(p: Pending): void {
    clearTimeout(p.timer);
    this.pending.delete(p);
  }

  private timedOut(p: Pending, remote: string): void {
    if (p.stage === 'first byte' || p.stage === 'handshake') {
      this.opts.metrics.connectionsRefused.inc({ reason: 'tls' });
      this.opts.log.debug({ remote, stage: p.stage }, 'tls handshake timeout');
    }
    this.cut(p);
  }

  private cut(p: Pending): void {
    this.settle(p);
    (p.secure ?? p.raw).destroy();
  }

  private loaded(msg: string): void {
    const { info } = this.current;
    this.opts.log.info({ subject: info.subject, fingerprint: info.fingerprint, validTo: info.validTo }, msg);
    if (Date.parse(info.validTo) < Date.now()) this.opts.log.warn({ validTo: info.validTo }, 'the tls certificate has expired: clients will refuse it');
  }
}

function refusedBeforeHandshake(): Buffer {
  return ACCESS_DENIED_ALERT;
}

/** The address the client connected to, as it would type it. */
function hostPort(socket: Socket): string {
  const host = socket.localAddress ?? 'host';
  return `${net.isIPv6(host) ? `[${host}]` : host}:${socket.localPort ?? 'port'}`;
}
