/**
 * docs/irc.md and server/irc/ must tell the same story: every ISUPPORT token we can send has a row in
 * the table, and every row names a token we can send; every capability CAP LS offers has a row, and
 * every row names one it offers.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CAPABILITIES } from '../../server/irc/irc-state.js';
import { isupportTokens } from '../../server/irc/isupport.js';

const doc = readFileSync(new URL('../../docs/irc.md', import.meta.url), 'utf8');

describe('docs/irc.md ISUPPORT table', () => {
  const section = doc.slice(doc.indexOf('## ISUPPORT'), doc.indexOf('\n## ', doc.indexOf('## ISUPPORT') + 1));
  const documented = new Set([...section.matchAll(/^\| ([^|]+) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([A-Z0-9]+)`/g)].map((t) => t[1]!)));
  const sent = isupportTokens({
    network: 'n', maxRoomsPerConnection: 1, maxTopicBytes: 1, modesPerCommand: 1, chathistoryMax: 1, awayLength: 1, targetsPerCommand: { PRIVMSG: 1 },
  }).map((t) => t.split('=')[0]!);

  it('documents every token we send', () => {
    expect([...documented].sort()).toEqual(expect.arrayContaining(sent.sort()));
  });

  it('documents no token we never send', () => {
    expect(sent).toEqual(expect.arrayContaining([...documented]));
  });
});

describe('docs/irc.md capability table', () => {
  const start = doc.indexOf('## Capabilities');
  const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
  const documented = [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!.split('=')[0]!);

  it('has one row for each capability CAP LS offers, and none for one it does not', () => {
    expect([...documented].sort()).toEqual([...CAPABILITIES.keys()].sort());
  });
});
