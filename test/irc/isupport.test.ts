/**
 * server/irc/isupport.ts: each token says what the server enforces (checked against the validators and
 * the room settings type, not against copies of the numbers), and 005 packing keeps to 13 tokens and
 * 512 bytes a line.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHANMODES, CHANNEL_LENGTH, ISUPPORT_TOKENS_PER_LINE, escapeIsupportValue, isupportReplies, isupportTokens, topicLength,
  type IsupportSettings,
} from '../../server/irc/isupport.js';
import { formatMessage } from '../../server/irc/message.js';
import type { RoomSettings } from '../../server/moderation/policy.js';
import { REASON_MAX, TOPIC_MAX } from '../../shared/limits.js';
import { isValidNick, lineProblem, normalizeRoom } from '../../shared/validate.js';
import { runs } from '../helpers/arbitraries.js';

const base: IsupportSettings = { network: 'chat', maxRoomsPerConnection: 50, maxTopicBytes: 1000 };

function token(tokens: string[], name: string): string | undefined {
  const found = tokens.find((t) => t === name || t.startsWith(`${name}=`));
  return found === undefined || found === name ? found : found.slice(name.length + 1);
}

describe('isupportTokens', () => {
  it('lists the tokens of the default settings', () => {
    expect(isupportTokens(base)).toEqual([
      'CASEMAPPING=ascii', 'CHANLIMIT=#:50', 'CHANMODES=b,k,l,imst', 'CHANNELLEN=33', 'CHANTYPES=#',
      'CLIENTTAGDENY=*', 'KICKLEN=300', 'NETWORK=chat', 'NICKLEN=24', 'PREFIX=(ov)@+', 'TOPICLEN=500', 'UTF8ONLY',
    ]);
  });

  it('adds the optional tokens only when their feature is on', () => {
    const tokens = isupportTokens({
      ...base, modesPerCommand: 4, chathistoryMax: 200, awayLength: 300, targetsPerCommand: { privmsg: 4, NOTICE: 4 }, relayClientTags: true,
    });
    expect(token(tokens, 'MODES')).toBe('4');
    expect(token(tokens, 'CHATHISTORY')).toBe('200');
    expect(token(tokens, 'MSGREFTYPES')).toBe('msgid,timestamp');
    expect(token(tokens, 'AWAYLEN')).toBe('300');
    expect(token(tokens, 'TARGMAX')).toBe('PRIVMSG:4,NOTICE:4');
    expect(token(tokens, 'CLIENTTAGDENY')).toBeUndefined();
    for (const absent of ['MODES', 'CHATHISTORY', 'MSGREFTYPES', 'AWAYLEN', 'TARGMAX']) expect(token(isupportTokens(base), absent)).toBeUndefined();
  });

  it('takes CHANLIMIT and NETWORK from the settings', () => {
    const tokens = isupportTokens({ ...base, network: 'Example Net', maxRoomsPerConnection: 7 });
    expect(token(tokens, 'CHANLIMIT')).toBe('#:7');
    expect(token(tokens, 'NETWORK')).toBe('Example\\x20Net');
  });

  it('NICKLEN is the longest nick our rules accept', () => {
    const n = Number(token(isupportTokens(base), 'NICKLEN'));
    expect(isValidNick('a'.repeat(n))).toBe(true);
    expect(isValidNick('a'.repeat(n + 1))).toBe(false);
  });

  it('CHANNELLEN is the longest channel name, #, that is a room', () => {
    const n = Number(token(isupportTokens(base), 'CHANNELLEN'));
    expect(n).toBe(CHANNEL_LENGTH);
    expect(normalizeRoom(`#${'a'.repeat(n - 1)}`)).not.toBeNull();
    expect(normalizeRoom(`#${'a'.repeat(n)}`)).toBeNull();
  });

  it('KICKLEN bytes of any characters make a reason our rules accept', () => {
    const n = Number(token(isupportTokens(base), 'KICKLEN'));
    expect(n).toBe(REASON_MAX);
    expect(lineProblem('reason', 'é'.repeat(n / 2), REASON_MAX)).toBeNull();
    expect(lineProblem('reason', 'x'.repeat(n), REASON_MAX)).toBeNull();
    expect(lineProblem('reason', 'x'.repeat(n + 1), REASON_MAX)).not.toBeNull();
  });

  it.each([
    [1000, TOPIC_MAX],
    [TOPIC_MAX, TOPIC_MAX],
    [200, 200],
    [1, 1],
  ])('TOPICLEN with --max-topic-bytes %i is %i: no topic of that many bytes is refused', (bytes, expected) => {
    expect(topicLength(bytes)).toBe(expected);
    expect(token(isupportTokens({ ...base, maxTopicBytes: bytes }), 'TOPICLEN')).toBe(String(expected));
  });

  it('CHANMODES has one mode for each room setting, and b for bans', () => {
    // Typed by RoomSettings: a new setting fails to compile here until it has a mode (or a reason not to).
    const modeOf: Record<keyof RoomSettings, { letter: string; kind: 'B' | 'C' | 'D' }> = {
      inviteOnly: { letter: 'i', kind: 'D' },
      key: { letter: 'k', kind: 'B' },
      moderated: { letter: 'm', kind: 'D' },
      secret: { letter: 's', kind: 'D' },
      topicOps: { letter: 't', kind: 'D' },
      limit: { letter: 'l', kind: 'C' },
    };
    const [a, b, c, d] = CHANMODES.split(',');
    expect(a).toBe('b');
    const byKind = (kind: string) => Object.values(modeOf).filter((m) => m.kind === kind).map((m) => m.letter).sort().join('');
    expect([b, c, d]).toEqual([byKind('B'), byKind('C'), byKind('D')]);
  });

  it('PREFIX has the room roles, operator first', () => {
    expect(token(isupportTokens(base), 'PREFIX')).toBe('(ov)@+');
  });
});

describe('escapeIsupportValue', () => {
  it.each([
    ['plain', 'plain'],
    ['a b', 'a\\x20b'],
    ['a=b', 'a\\x3Db'],
    ['a\\b', 'a\\x5Cb'],
    ['tab\there', 'tab\\x09here'],
    ['Réseau', 'Réseau'],
  ])('%j → %j', (value, escaped) => {
    expect(escapeIsupportValue(value)).toBe(escaped);
  });
});

describe('isupportReplies', () => {
  const tokens = isupportTokens({ ...base, modesPerCommand: 4, chathistoryMax: 200, awayLength: 300, targetsPerCommand: { PRIVMSG: 4 } });

  it('packs our tokens into 005 lines of at most 13 tokens, in order', () => {
    const replies = isupportReplies('chat', 'alice', tokens);
    expect(replies).toHaveLength(2);
    expect(replies[0]!.params).toEqual(['alice', ...tokens.slice(0, 13), 'are supported by this server']);
    expect(replies[1]!.params).toEqual(['alice', ...tokens.slice(13), 'are supported by this server']);
    const line = formatMessage(replies[0]!);
    expect(line.ok && line.value).toBe(`:chat 005 alice ${tokens.slice(0, 13).join(' ')} :are supported by this server`);
  });

  it('starts a new line when the next token would pass 512 bytes', () => {
    const long = Array.from({ length: 12 }, (_, n) => `T${n}=${'v'.repeat(60)}`);
    const replies = isupportReplies('chat', 'alice', long);
    expect(replies.length).toBeGreaterThan(1);
    for (const r of replies) {
      const line = formatMessage(r);
      assert.ok(line.ok);
      expect(Buffer.byteLength(`${line.value}\r\n`)).toBeLessThanOrEqual(512);
    }
    expect(replies.flatMap((r) => r.params.slice(1, -1))).toEqual(long);
  });

  it('sends nothing for no tokens', () => {
    expect(isupportReplies('chat', 'alice', [])).toEqual([]);
  });

  it.each([['a space', 'A B'], ['an empty token', ''], ['a colon first', ':A']])('throws for %s', (_name, bad) => {
    expect(() => isupportReplies('chat', 'alice', ['OK', bad])).toThrow(RangeError);
  });

  it('throws for a token that cannot fit a line by itself, first or later', () => {
    const huge = `NETWORK=${'n'.repeat(480)}`;
    expect(() => isupportReplies('chat', 'alice', [huge])).toThrow('does not fit a line');
    expect(() => isupportReplies('chat', 'alice', ['A', huge])).toThrow('does not fit a line');
  });

  it('keeps every token, in order, within 13 a line and 512 bytes, for any token list', () => {
    const tokenArb = fc.string({ unit: fc.constantFrom('A', 'Z', '=', ',', '#', '9', 'é'), minLength: 1, maxLength: 120 })
      .filter((t) => !t.startsWith(':'));
    fc.assert(fc.property(fc.array(tokenArb, { maxLength: 40 }), fc.constantFrom('alice', 'a-much-longer-nick-here'), (list, nick) => {
      const replies = isupportReplies('irc.example.com', nick, list);
      assert.deepStrictEqual(replies.flatMap((r) => r.params.slice(1, -1)), list);
      for (const r of replies) {
        assert.ok(r.params.length - 2 <= ISUPPORT_TOKENS_PER_LINE && r.params.length > 2);
        assert.ok(formatMessage(r).ok);
      }
    }), { numRuns: runs(1_000) });
  });
});
