/**
 * A TLS failure in one line that says what to do: most are a certificate the client will not trust (a
 * private CA, a self-signed or expired certificate, another host's) or a port that does not speak TLS.
 */

/** The chain does not lead to a CA the client knows. */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE', 'INVALID_CA',
]);

/** OpenSSL's words for bytes that are not TLS at all: a plain port answered (a write may fail as EPROTO with the same words). */
const NOT_TLS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_RECORD_LAYER_FAILURE']);

/** The reason for a failed connection: TLS failures explained, anything else in the system's words. */
export function connectionFailure(err: Error & { code?: string; host?: string }): string {
  const code = err.code ?? '';
  if (UNTRUSTED.has(code)) return `certificate not trusted (${code}): if the server uses a private CA, give it with --ca FILE`;
  if (code === 'CERT_HAS_EXPIRED') return `the server's certificate has expired (${code})`;
  if (code === 'CERT_NOT_YET_VALID') return `the server's certificate is not valid yet (${code}): check the clocks`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `the server's certificate is not for ${err.host ?? 'this host'} (${code})`;
  if (NOT_TLS.has(code) || /wrong version number|packet length too long/.test(err.message)) {
    return `the server does not speak TLS on this port (${NOT_TLS.has(code) ? code : 'wrong version number'}): use ws:// or tcp://, or the TLS port`;
  }
  if (code === 'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED') return `the server refused the connection before TLS (${code}): too many connections from this address, or it is full`;
  return err.message || 'connection error';
}
