/**
 * What the user is told about the connection: one line in the server view per outage, in words rather
 * than errno names, and whether the client ever got through (a wrong address is not a lost connection).
 */

const EXPLAINED: [RegExp, string][] = [
  [/ECONNREFUSED/, 'connection refused: nothing is listening there'],
  [/ENOTFOUND|EAI_AGAIN|EAI_NONAME/, 'unknown host'],
  [/EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL/, 'no route to that host'],
  [/ETIMEDOUT|connect timeout|handshake has timed out/i, 'no answer: the connection timed out'],
  [/ECONNRESET/, 'the connection was reset'],
  [/Unexpected server response: 400 \(this port speaks TLS/, 'this port speaks TLS: use wss://'],
  [/Parse Error|Unexpected server response|Invalid WebSocket frame|invalid status/i, 'not a WebSocket chat port (for the plain TCP port use tcp://)'],
  [/no answer to hello/, 'no answer to hello: not a chat server?'],
];

/** A failure reason as a person reads it, with the system's own words kept in brackets. */
export function explainFailure(reason: string | undefined): string {
  if (!reason) return 'no reason given';
  const hit = EXPLAINED.find(([re]) => re.test(reason));
  return hit && hit[1] !== reason ? `${hit[1]} (${reason})` : reason;
}

export function seconds(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 90 ? `${s} s` : `${Math.round(s / 60)} min`;
}

/** The line for the start of an outage: a lost connection, or one that never came up. */
export function outageNote(server: string, everOnline: boolean, reason: string | undefined): string {
  return everOnline
    ? `connection lost: ${explainFailure(reason)}; reconnecting (Ctrl+C quits)`
    : `could not connect to ${server}: ${explainFailure(reason)}; retrying (Ctrl+C quits)`;
}
