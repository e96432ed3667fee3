/**
 * Certificates made with openssl for the TLS tests: a private CA and leaf certificates it signed for
 * 127.0.0.1 and localhost, written as PEM files into a temp folder.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Leaf {
  cert: string;
  key: string;
  /** SHA-256 fingerprint, as TLS clients see it in getPeerCertificate().fingerprint256. */
  fingerprint: string;
}

export interface TestCertificates {
  dir: string;
  /** The CA's certificate file. */
  ca: string;
  caPem: string;
  /** Makes another leaf signed by the CA, with this common name. */
  leaf(name: string): Leaf;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeCertificates(dir: string): TestCertificates {
  openssl(dir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem',
    '-days', '2', '-subj', '/CN=chat test CA');
  writeFileSync(path.join(dir, 'leaf.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  const leaf = (name: string): Leaf => {
    openssl(dir, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', 'leaf.ext');
    const cert = path.join(dir, `${name}.pem`);
    return { cert, key: path.join(dir, `${name}.key`), fingerprint: new X509Certificate(readFileSync(cert)).fingerprint256 };
  };
  const ca = path.join(dir, 'ca.pem');
  return { dir, ca, caPem: readFileSync(ca, 'utf8'), leaf };
}
