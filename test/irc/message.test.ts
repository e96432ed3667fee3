/**
 * server/irc/message.ts: the published ircdocs/parser-tests vectors (msg-split, msg-join,
 * userhost-split), then our own cases for what a server must refuse or tolerate from clients, and for
 * what the serializer must refuse.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BODY_MAX_BYTES, CLIENT_LINE_MAX_BYTES, CLIENT_TAG_DATA_MAX_BYTES, TAG_SECTION_MAX_BYTES,
  clientOnlyTags, escapeTagValue, formatMessage, isTagKey, parseLine, parseMessage, splitSource, unescapeTagValue,
  type IrcMessage, type ParseResult,
} from '../../server/irc/message.js';

interface Atoms {
  tags?: Record<string, string>;
  source?: string;
  verb: string;
  params?: string[];
}

function vectors<T>(name: string): { origin: string; header: string[]; tests: T[] } {
  return JSON.parse(readFileSync(new URL(`./vectors/${name}.json`, import.meta.url), 'utf8'));
}

function parsed(line: string): { tags: Record<string, string>; source?: string; verb: string; params: string[] } {
  const r = parseMessage(line);
  if (!r.ok) throw new Error(`${JSON.stringify(line)} refused: ${r.error.message}`);
  const { tags, source, verb, params } = r.value;
  return source === undefined
    ? { tags: Object.fromEntries(tags), verb, params }
    : { tags: Object.fromEntries(tags), source, verb, params };
}

function formatted(message: IrcMessage): string {
  const r = formatMessage(message);
  if (!r.ok) throw new Error(`refused: ${r.error.message}`);
  return r.value;
}

const refusal = (r: ParseResult) => (r.ok ? 'accepted' : r.error);

describe('ircdocs/parser-tests msg-split', () => {
  const file = vectors<{ input: string; atoms: Atoms }>('msg-split');

  it('keeps its public-domain header and names its origin', () => {
    expect(file.origin).toMatch(/^ircdocs\/parser-tests tests\/msg-split\.yaml at commit [0-9a-f]{40}/);
    expect(file.header.join('\n')).toContain('CC0 Public Domain Dedication');
    expect(file.tests.length).toBe(35);
  });

  it.each(file.tests.map((t) => [t.input, t.atoms] as const))('%j', (input, atoms) => {
    const expected = {
      tags: atoms.tags ?? {},
      ...(atoms.source === undefined ? {} : { source: atoms.source }),
      verb: atoms.verb.toUpperCase(),
      params: atoms.params ?? [],
    };
    expect(parsed(input)).toEqual(expected);
  });
});

describe('ircdocs/parser-tests msg-join', () => {
  const file = vectors<{ desc: string; atoms: Atoms; matches: string[] }>('msg-join');

  it('keeps its public-domain header', () => {
    expect(file.header.join('\n')).toContain('CC0 Public Domain Dedication');
    expect(file.tests.length).toBe(18);
  });

  it.each(file.tests.map((t) => [t.desc, t] as const))('%s', (_desc, t) => {
    const line = formatted({ tags: t.atoms.tags, source: t.atoms.source, verb: t.atoms.verb, params: t.atoms.params ?? [] });
    expect(t.matches).toContain(line);
  });
});

describe('ircdocs/parser-tests userhost-split', () => {
  const file = vectors<{ source: string; atoms: { nick?: string; user?: string; host?: string } }>('userhost-split');

  it('has its cases', () => expect(file.tests.length).toBe(6));

  it.each(file.tests.map((t) => [t.source, t.atoms] as const))('%j', (source, atoms) => {
    expect(splitSource(source)).toEqual({ nick: atoms.nick ?? '', user: atoms.user ?? '', host: atoms.host ?? '' });
  });
});

describe('parseMessage: what clients send', () => {
  it.each([
    ['PING x', { verb: 'PING', params: ['x'] }],
    ['privmsg #a :hi there', { verb: 'PRIVMSG', params: ['#a', 'hi there'] }],
    ['Nick Alice', { verb: 'NICK', params: ['Alice'] }],
    ['   PING   x   y   ', { verb: 'PING', params: ['x', 'y'] }],
    ['PRIVMSG #a :', { verb: 'PRIVMSG', params: ['#a', ''] }],
    ['PRIVMSG #a ::)', { verb: 'PRIVMSG', params: ['#a', ':)'] }],
    ['PRIVMSG #a :  two  spaces  ', { verb: 'PRIVMSG', params: ['#a', '  two  spaces  '] }],
    ['PRIVMSG #a :tab\there', { verb: 'PRIVMSG', params: ['#a', 'tab\there'] }],
    ['USER u 0 * :Real Name', { verb: 'USER', params: ['u', '0', '*', 'Real Name'] }],
    ['CAP LS 302', { verb: 'CAP', params: ['LS', '302'] }],
    ['QUIT', { verb: 'QUIT', params: [] }],
    ['001 me :Welcome', { verb: '001', params: ['me', 'Welcome'] }],
    ['PRIVMSG #a :héllo 😀 你好', { verb: 'PRIVMSG', params: ['#a', 'héllo 😀 你好'] }],
  ])('%j', (line, expected) => {
    expect(parsed(line)).toEqual({ tags: {}, ...expected });
  });

  it('keeps a source a client sent (the server decides to ignore it)', () => {
    expect(parsed(':me PING x')).toEqual({ tags: {}, source: 'me', verb: 'PING', params: ['x'] });
  });

  it('reads an empty source as none', () => {
    expect(parsed(': PING x')).toEqual({ tags: {}, verb: 'PING', params: ['x'] });
  });

  it('takes a params list longer than 15 as it is (the line limit bounds it)', () => {
    const params = Array.from({ length: 20 }, (_, n) => `p${n}`);
    expect(parsed(`CMD ${params.join(' ')}`).params).toEqual(params);
  });

  describe('tags', () => {
    it.each([
      ['@+typing=active TAGMSG #a', { '+typing': 'active' }],
      ['@label=abc;+draft/reply=m1 PRIVMSG #a :x', { label: 'abc', '+draft/reply': 'm1' }],
      ['@a=1;;b=2; PING', { a: '1', b: '2' }],
      ['@ PING', {}],
      ['@a=x=y PING', { a: 'x=y' }],
      ['@a=\\\\\\:\\s\\r\\n\\x PING', { a: '\\; \r\nx' }],
      ['@a=ends\\ PING', { a: 'ends' }],
      ['@a= PING', { a: '' }],
      ['@a=1;a=2 PING', { a: '2' }],
      ['@example.com/key=v;+example.com/k2 PING', { 'example.com/key': 'v', '+example.com/k2': '' }],
      ['@a=😀 PING', { a: '😀' }],
    ])('%j', (line, tags) => {
      expect(parsed(line).tags).toEqual(tags);
    });

    it.each([
      ['an empty key', '@=v;ok=1 PING'],
      ['a key with a space-like escape', '@a\\sb=1;ok=1 PING'],
      ['a key with an underscore', '@a_b=1;ok=1 PING'],
      ['a lone +', '@+=1;ok=1 PING'],
      ['a vendor without a name', '@vendor/=1;ok=1 PING'],
      ['a non-ASCII key', '@é=1;ok=1 PING'],
    ])('drops %s and keeps the message', (_name, line) => {
      expect(parsed(line)).toEqual({ tags: { ok: '1' }, verb: 'PING', params: [] });
    });

    it('lets a client send exactly 4094 bytes of tag data with a full 510-byte body', () => {
      const tagData = `a=${'x'.repeat(CLIENT_TAG_DATA_MAX_BYTES - 2)}`;
      const body = `PRIVMSG #a :${'y'.repeat(BODY_MAX_BYTES - 'PRIVMSG #a :'.length)}`;
      const line = `@${tagData} ${body}`;
      expect(Buffer.byteLength(line)).toBe(CLIENT_LINE_MAX_BYTES);
      const r = parsed(line);
      expect(r.tags.a).toHaveLength(CLIENT_TAG_DATA_MAX_BYTES - 2);
      expect(r.params[1]).toHaveLength(BODY_MAX_BYTES - 'PRIVMSG #a :'.length);
    });

    it('counts tag bytes in UTF-8, not in characters', () => {
      const ok = `@a=${'é'.repeat((CLIENT_TAG_DATA_MAX_BYTES - 2) / 2)} PING`;
      expect(parseMessage(ok).ok).toBe(true);
      expect(refusal(parseMessage(`@a=${'é'.repeat((CLIENT_TAG_DATA_MAX_BYTES - 2) / 2)}x PING`)))
        .toMatchObject({ reason: 'tags-too-long' });
    });

    it('takes other limits when given (a server-to-server or test reader)', () => {
      const line = `@a=${'x'.repeat(5000)} PING`;
      expect(refusal(parseMessage(line))).toMatchObject({ reason: 'tags-too-long' });
      expect(parseMessage(line, { tagDataBytes: 8189, bodyBytes: BODY_MAX_BYTES }).ok).toBe(true);
    });
  });

  describe('refusals', () => {
    it.each([
      ['', 'empty', undefined],
      ['    ', 'empty', undefined],
      ['@a=b', 'no-verb', undefined],
      ['@a=b   ', 'no-verb', undefined],
      [':source', 'no-verb', undefined],
      [':source   ', 'no-verb', undefined],
      ['@a=b :source', 'no-verb', undefined],
      ['PING\0x', 'bad-character', undefined],
      ['PING x\0', 'bad-character', 'PING'],
      ['PRIVMSG #a :a\rb', 'bad-character', 'PRIVMSG'],
      ['@t :src privmsg #a :a\nb', 'bad-character', 'PRIVMSG'],
      ['@a=\0 PING', 'bad-character', 'PING'],
      ['PRIVMSG #a :\ud800', 'invalid-utf8', 'PRIVMSG'],
      ['\ud800 x', 'invalid-utf8', undefined],
    ] as const)('%j is %s', (line, reason, verb) => {
      const r = parseMessage(line);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.reason).toBe(reason);
        expect(r.error.message).not.toBe('');
        expect(r.error.verb).toBe(verb);
      }
    });

    it.each([
      ['PRIV$MSG #a :x', 'PRIV$MSG'],
      ['12 x', '12'],
      ['1234 x', '1234'],
      ['PRIVMSG2 x', 'PRIVMSG2'],
      ['\ufeffPING x', '\ufeffPING'],
      ['privmsg\u0007 x', 'PRIVMSG\u0007'],
    ])('%j is bad-verb, naming the verb for 421', (line, verb) => {
      expect(refusal(parseMessage(line))).toEqual({ reason: 'bad-verb', verb, message: 'command must be letters or a three-digit numeric' });
    });

    it('refuses a body of 511 bytes and names its verb for 417', () => {
      const at = `PRIVMSG #a :${'x'.repeat(BODY_MAX_BYTES - 'PRIVMSG #a :'.length)}`;
      expect(Buffer.byteLength(at)).toBe(BODY_MAX_BYTES);
      expect(parseMessage(at).ok).toBe(true);
      expect(refusal(parseMessage(`${at}x`))).toEqual({ reason: 'too-long', verb: 'PRIVMSG', message: 'line is longer than 510 bytes' });
      expect(refusal(parseMessage(`:src ${at}`))).toMatchObject({ reason: 'too-long', verb: 'PRIVMSG' });
      expect(refusal(parseMessage(`@a=1 ${at}x`))).toMatchObject({ reason: 'too-long', verb: 'PRIVMSG' });
    });

    it('counts body bytes in UTF-8', () => {
      expect(parseMessage(`X ${'é'.repeat(254)}`).ok).toBe(true);
      expect(refusal(parseMessage(`X ${'é'.repeat(254)}x`))).toMatchObject({ reason: 'too-long', verb: 'X' });
      expect(refusal(parseMessage(`X ${'é'.repeat(255)}`))).toMatchObject({ reason: 'too-long', verb: 'X' });
    });

    it('names no verb when an over-long line has none that could be one', () => {
      expect(refusal(parseMessage('x$'.repeat(300)))).toEqual({ reason: 'too-long', message: 'line is longer than 510 bytes' });
    });

    it('refuses 4095 bytes of tag data', () => {
      const line = `@a=${'x'.repeat(CLIENT_TAG_DATA_MAX_BYTES - 1)} PING`;
      expect(refusal(parseMessage(line))).toEqual({ reason: 'tags-too-long', message: 'tags are longer than 4094 bytes', verb: 'PING' });
    });

    it('refuses a tag flood before it reads any tag, even without a verb', () => {
      expect(refusal(parseMessage(`@${'a;'.repeat(3000)}`))).toMatchObject({ reason: 'tags-too-long' });
    });
  });
});

describe('parseLine: raw bytes', () => {
  it('parses valid UTF-8', () => {
    const r = parseLine(Buffer.from('PRIVMSG #a :héllo'));
    expect(r.ok && r.value.params).toEqual(['#a', 'héllo']);
  });

  it('reads a line held in a slice of a larger buffer', () => {
    const big = Buffer.from('xxPING abcyy');
    const r = parseLine(big.subarray(2, 10));
    expect(r.ok && r.value).toEqual({ tags: new Map(), verb: 'PING', params: ['abc'] });
  });

  it('refuses invalid UTF-8 and still names the verb, for FAIL PRIVMSG INVALID_UTF8', () => {
    const bytes = Buffer.concat([Buffer.from('privmsg #a :caf'), Buffer.from([0xe9])]);
    expect(refusal(parseLine(bytes))).toEqual({ reason: 'invalid-utf8', verb: 'PRIVMSG', message: 'line is not valid UTF-8' });
  });

  it.each([
    ['an overlong encoding', [0xc0, 0xaf]],
    ['a UTF-16 surrogate encoded in UTF-8', [0xed, 0xa0, 0x80]],
    ['a truncated sequence', [0xf0, 0x9f, 0x98]],
    ['a lone continuation byte', [0x80]],
  ])('refuses %s', (_name, tail) => {
    const r = parseLine(Buffer.concat([Buffer.from('PING :'), Buffer.from(tail)]));
    expect(refusal(r)).toMatchObject({ reason: 'invalid-utf8', verb: 'PING' });
  });

  it('refuses invalid UTF-8 in a line that names no verb', () => {
    expect(refusal(parseLine(Buffer.from([0xff, 0x20, 0x41])))).toEqual({ reason: 'invalid-utf8', message: 'line is not valid UTF-8' });
  });

  it('refuses invalid UTF-8 in tags', () => {
    expect(refusal(parseLine(Buffer.from([0x40, 0x61, 0x3d, 0xff, 0x20, 0x50, 0x49, 0x4e, 0x47])))).toMatchObject({ reason: 'invalid-utf8', verb: 'PING' });
  });

  it('measures limits on the bytes as sent', () => {
    expect(parseLine(Buffer.from(`X ${'é'.repeat(254)}`)).ok).toBe(true);
    expect(refusal(parseLine(Buffer.from(`X ${'é'.repeat(254)}x`)))).toMatchObject({ reason: 'too-long' });
  });
});

describe('tag values', () => {
  it.each([
    ['', ''],
    ['plain', 'plain'],
    ['a;b', 'a\\:b'],
    ['a b', 'a\\sb'],
    ['a\\b', 'a\\\\b'],
    ['\r\n', '\\r\\n'],
    ['\\;', '\\\\\\:'],
  ])('%j escapes to %j and back', (value, escaped) => {
    expect(escapeTagValue(value)).toBe(escaped);
    expect(unescapeTagValue(escaped)).toBe(value);
  });

  it('drops a backslash before a character that needs no escape, and a trailing one', () => {
    expect(unescapeTagValue('\\a\\b\\')).toBe('ab');
    expect(unescapeTagValue('\\')).toBe('');
  });

  it.each(['a', '+a', 'draft/reply', '+draft/react', 'example.com/x-y', 'A-9'])('%j is a tag key', (key) => {
    expect(isTagKey(key)).toBe(true);
  });

  it.each(['', '+', '/a', 'a/', 'a b', 'a=b', 'a;b', 'a_b', '++a', 'é'])('%j is not a tag key', (key) => {
    expect(isTagKey(key)).toBe(false);
  });

  it('keeps only client-only tags for relaying', () => {
    const tags = new Map([['+typing', 'active'], ['label', 'x'], ['time', 't'], ['+draft/reply', 'id']]);
    expect([...clientOnlyTags(tags)]).toEqual([['+typing', 'active'], ['+draft/reply', 'id']]);
  });
});

describe('formatMessage', () => {
  it.each<[IrcMessage, string]>([
    [{ verb: 'PING', params: ['x'] }, 'PING x'],
    [{ verb: 'QUIT', params: [] }, 'QUIT'],
    [{ source: 'srv', verb: '001', params: ['me', 'Welcome to the net, me'] }, ':srv 001 me :Welcome to the net, me'],
    [{ verb: 'PRIVMSG', params: ['#a', ''] }, 'PRIVMSG #a :'],
    [{ verb: 'PRIVMSG', params: ['#a', ':)'] }, 'PRIVMSG #a ::)'],
    [{ verb: 'PRIVMSG', params: ['#a', 'one'] }, 'PRIVMSG #a one'],
    [{ verb: 'PRIVMSG', params: ['#a', 'a:b'] }, 'PRIVMSG #a a:b'],
    [{ verb: 'MODE', params: ['#a', '+o', 'bob'] }, 'MODE #a +o bob'],
    [{ tags: { time: '2024-01-01T00:00:00.000Z', msgid: 'abc' }, verb: 'PRIVMSG', params: ['#a', 'hi'] },
      '@time=2024-01-01T00:00:00.000Z;msgid=abc PRIVMSG #a hi'],
    [{ tags: new Map([['+typing', ''], ['a', 'x y;z']]), verb: 'TAGMSG', params: ['#a'] }, '@+typing;a=x\\sy\\:z TAGMSG #a'],
    [{ tags: {}, verb: 'PING', params: ['x'] }, 'PING x'],
    [{ source: 'a!b@c', verb: 'PRIVMSG', params: ['#a', 'tab\tand\u0001ctcp\u0001'] }, ':a!b@c PRIVMSG #a tab\tand\u0001ctcp\u0001'],
  ])('%j → %j', (message, line) => {
    expect(formatted(message)).toBe(line);
  });

  it('allows 15 parameters and a body of exactly 510 bytes', () => {
    expect(formatted({ verb: 'X', params: Array.from({ length: 15 }, () => 'p') })).toBe(`X${' p'.repeat(15)}`);
    const text = 'x'.repeat(BODY_MAX_BYTES - 'PRIVMSG #a :'.length);
    expect(formatted({ verb: 'PRIVMSG', params: ['#a', `${text.slice(1)} `] })).toHaveLength(BODY_MAX_BYTES);
  });

  it('allows a tag section of exactly 8191 bytes beside a full body', () => {
    const value = 'v'.repeat(TAG_SECTION_MAX_BYTES - '@k= '.length);
    const line = formatted({ tags: { k: value }, verb: 'PRIVMSG', params: ['#a', 'y'.repeat(BODY_MAX_BYTES - 'PRIVMSG #a '.length)] });
    expect(Buffer.byteLength(line)).toBe(TAG_SECTION_MAX_BYTES + BODY_MAX_BYTES);
  });

  it.each<[string, IrcMessage, string]>([
    ['a bad tag key', { tags: { 'a b': 'x' }, verb: 'PING', params: [] }, 'bad-tag'],
    ['an empty tag key', { tags: { '': 'x' }, verb: 'PING', params: [] }, 'bad-tag'],
    ['NUL in a tag value', { tags: { a: 'x\0' }, verb: 'PING', params: [] }, 'bad-tag'],
    ['an empty source', { source: '', verb: 'PING', params: [] }, 'bad-source'],
    ['a source with a space', { source: 'a b', verb: 'PING', params: [] }, 'bad-source'],
    ['a source with CR', { source: 'a\rb', verb: 'PING', params: [] }, 'bad-source'],
    ['an empty verb', { verb: '', params: [] }, 'bad-verb'],
    ['a verb with a space', { verb: 'PRIV MSG', params: [] }, 'bad-verb'],
    ['a two-digit numeric', { verb: '01', params: [] }, 'bad-verb'],
    ['CR in a param', { verb: 'PRIVMSG', params: ['#a', 'x\ry'] }, 'bad-param'],
    ['LF in a param', { verb: 'PRIVMSG', params: ['#a', 'x\ny'] }, 'bad-param'],
    ['NUL in a param', { verb: 'PRIVMSG', params: ['#a', 'x\0y'] }, 'bad-param'],
    ['LF in a middle param', { verb: 'PRIVMSG', params: ['#a\n', 'x'] }, 'bad-param'],
    ['a space in a middle param', { verb: 'MODE', params: ['#a', '+o x', 'y'] }, 'bad-param'],
    ['an empty middle param', { verb: 'MODE', params: ['#a', '', 'y'] }, 'bad-param'],
    ['a middle param starting with a colon', { verb: 'MODE', params: [':a', 'y'] }, 'bad-param'],
    ['16 params', { verb: 'X', params: Array.from({ length: 16 }, () => 'p') }, 'too-many-params'],
    ['a lone surrogate', { verb: 'PRIVMSG', params: ['#a', '\udc00'] }, 'not-unicode'],
    ['a lone surrogate in a tag', { tags: { a: '\ud800' }, verb: 'PING', params: [] }, 'not-unicode'],
    ['a 511-byte body', { verb: 'PRIVMSG', params: ['#a', 'x'.repeat(BODY_MAX_BYTES - 'PRIVMSG #a '.length + 1)] }, 'too-long'],
    ['a 511-byte body counted in UTF-8', { verb: 'X', params: [`${'é'.repeat(254)}x`] }, 'too-long'],
    ['an 8192-byte tag section', { tags: { k: 'v'.repeat(TAG_SECTION_MAX_BYTES - '@k= '.length + 1) }, verb: 'PING', params: [] }, 'tags-too-long'],
    ['escapes that push the tags over', { tags: { k: ';'.repeat(4094) }, verb: 'PING', params: [] }, 'tags-too-long'],
  ])('refuses %s', (_name, message, reason) => {
    const r = formatMessage(message);
    expect(r.ok ? 'accepted' : r.error.reason).toBe(reason);
    if (!r.ok) expect(r.error.message).not.toBe('');
  });
});

describe('splitSource', () => {
  it.each([
    ['server.example', { nick: 'server.example', user: '', host: '' }],
    ['n!u@h', { nick: 'n', user: 'u', host: 'h' }],
    ['n!u!x@h@y', { nick: 'n', user: 'u!x', host: 'h@y' }],
    ['n!*@*', { nick: 'n', user: '*', host: '*' }],
    ['*!*@2001:db8::1', { nick: '*', user: '*', host: '2001:db8::1' }],
    ['', { nick: '', user: '', host: '' }],
  ])('%j', (source, parts) => {
    expect(splitSource(source)).toEqual(parts);
  });
});
