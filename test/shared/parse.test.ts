/**
 * shared/parse.ts: every client message type accepted with its exact normalized output, every malformed
 * variant rejected with its exact code and message, and the server direction's shapes. Table-driven:
 * each row is one raw frame and the one result it must produce.
 */
import { describe, expect, it } from 'vitest';
import {
  CLIENT_MESSAGE_TYPES,
  ErrorCode,
  parseClientMessage,
  parseServerMessage,
  validateClientMessage,
} from '../../shared/index.js';

const NICK_RULE = 'must be 1-24 characters: a letter, then letters, digits or _-[]\\^{}|';
const ROOM_RULE = 'room must be # and 1-32 of A-Z a-z 0-9 _ -';
const TEXT_CONTROL = 'text contains control characters (only \\n and \\t are allowed)';
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const UNPAIRED = 'contains an unpaired surrogate (invalid Unicode)';

const raw = (value: unknown): string => JSON.stringify(value);

describe('parseClientMessage: accepted', () => {
  const cases: { name: string; input: Record<string, unknown>; output: Record<string, unknown> }[] = [
    { name: 'hello with a nick', input: { type: 'hello', nick: 'alice' }, output: { type: 'hello', nick: 'alice' } },
    {
      name: 'hello with every optional field',
      input: { type: 'hello', nick: 'Alice_[1]', password: 's3cret pass', client: 'chat-tui/0.1', ref: 'h1' },
      output: { type: 'hello', nick: 'Alice_[1]', password: 's3cret pass', client: 'chat-tui/0.1', ref: 'h1' },
    },
    { name: 'hello with an empty password', input: { type: 'hello', nick: 'a', password: '' }, output: { type: 'hello', nick: 'a', password: '' } },
    { name: 'join adds the missing #', input: { type: 'join', room: 'lobby' }, output: { type: 'join', room: '#lobby' } },
    { name: 'join keeps the case it was given', input: { type: 'join', room: '#Dev-Ops_2' }, output: { type: 'join', room: '#Dev-Ops_2' } },
    { name: 'join with ref', input: { type: 'join', room: 'x', ref: 'j1' }, output: { type: 'join', room: '#x', ref: 'j1' } },
    { name: 'part', input: { type: 'part', room: 'lobby' }, output: { type: 'part', room: '#lobby' } },
    {
      name: 'part with reason and ref',
      input: { type: 'part', room: '#dev', reason: 'lunch', ref: 'p1' },
      output: { type: 'part', room: '#dev', reason: 'lunch', ref: 'p1' },
    },
    { name: 'part with an empty reason', input: { type: 'part', room: 'dev', reason: '' }, output: { type: 'part', room: '#dev', reason: '' } },
    { name: 'say', input: { type: 'say', room: 'lobby', text: 'hello' }, output: { type: 'say', room: '#lobby', text: 'hello' } },
    {
      name: 'say as an action with ref',
      input: { type: 'say', room: '#lobby', text: 'waves', action: true, ref: 'r-1' },
      output: { type: 'say', room: '#lobby', text: 'waves', action: true, ref: 'r-1' },
    },
    { name: 'say with action false', input: { type: 'say', room: '#a', text: 'x', action: false }, output: { type: 'say', room: '#a', text: 'x', action: false } },
    {
      name: 'say keeps \\n and \\t in text',
      input: { type: 'say', room: '#a', text: 'line one\n\tline two' },
      output: { type: 'say', room: '#a', text: 'line one\n\tline two' },
    },
    { name: 'say with one space of text', input: { type: 'say', room: '#a', text: ' ' }, output: { type: 'say', room: '#a', text: ' ' } },
    { name: 'dm', input: { type: 'dm', to: 'bob', text: 'psst' }, output: { type: 'dm', to: 'bob', text: 'psst' } },
    {
      name: 'dm as an action with ref',
      input: { type: 'dm', to: 'Bob', text: 'nods', action: true, ref: 'd1' },
      output: { type: 'dm', to: 'Bob', text: 'nods', action: true, ref: 'd1' },
    },
    { name: 'nick', input: { type: 'nick', nick: 'carol|away' }, output: { type: 'nick', nick: 'carol|away' } },
    { name: 'topic', input: { type: 'topic', room: 'lobby', topic: 'be nice' }, output: { type: 'topic', room: '#lobby', topic: 'be nice' } },
    { name: 'topic cleared with an empty string', input: { type: 'topic', room: '#a', topic: '' }, output: { type: 'topic', room: '#a', topic: '' } },
    { name: 'history with defaults', input: { type: 'history', room: 'lobby' }, output: { type: 'history', room: '#lobby' } },
    {
      name: 'history with before and the largest limit',
      input: { type: 'history', room: '#lobby', before: 120, limit: 200, ref: 'h' },
      output: { type: 'history', room: '#lobby', before: 120, limit: 200, ref: 'h' },
    },
    {
      name: 'history with the smallest limit and the largest before',
      input: { type: 'history', room: '#a', before: MAX_SAFE, limit: 1 },
      output: { type: 'history', room: '#a', before: MAX_SAFE, limit: 1 },
    },
    { name: 'history with limit written as 5.0', input: { type: 'history', room: '#a', limit: 5.0 }, output: { type: 'history', room: '#a', limit: 5 } },
    { name: 'history after a seq', input: { type: 'history', room: '#a', after: 0, before: 9, limit: 5 }, output: { type: 'history', room: '#a', after: 0, before: 9, limit: 5 } },
    { name: 'locate by id', input: { type: 'locate', room: 'a', id: 'V1StGXR8_Z5jdHi6B-myT', ref: 'l' }, output: { type: 'locate', room: '#a', id: 'V1StGXR8_Z5jdHi6B-myT', ref: 'l' } },
    { name: 'locate by time', input: { type: 'locate', room: '#a', ts: 1796219942000 }, output: { type: 'locate', room: '#a', ts: 1796219942000 } },
    { name: 'search', input: { type: 'search', room: 'lobby', query: 'deploy' }, output: { type: 'search', room: '#lobby', query: 'deploy' } },
    {
      name: 'search with before, limit, ref and FTS5 operators as words',
      input: { type: 'search', room: '#a', query: ' "x" OR NEAR(y) -z* ', before: 9, limit: 200, ref: 's' },
      output: { type: 'search', room: '#a', query: ' "x" OR NEAR(y) -z* ', before: 9, limit: 200, ref: 's' },
    },
    { name: 'search of 16 words', input: { type: 'search', room: '#a', query: 'é '.repeat(16) }, output: { type: 'search', room: '#a', query: 'é '.repeat(16) } },
    { name: 'rooms', input: { type: 'rooms' }, output: { type: 'rooms' } },
    { name: 'rooms with ref', input: { type: 'rooms', ref: 'r' }, output: { type: 'rooms', ref: 'r' } },
    { name: 'who', input: { type: 'who', room: 'Lobby' }, output: { type: 'who', room: '#Lobby' } },
    { name: 'ping', input: { type: 'ping' }, output: { type: 'ping' } },
    { name: 'ping with ref', input: { type: 'ping', ref: 'p' }, output: { type: 'ping', ref: 'p' } },
    { name: 'ping with a 64-character ref', input: { type: 'ping', ref: 'r'.repeat(64) }, output: { type: 'ping', ref: 'r'.repeat(64) } },
    { name: 'quit', input: { type: 'quit' }, output: { type: 'quit' } },
    { name: 'quit with reason', input: { type: 'quit', reason: 'bedtime' }, output: { type: 'quit', reason: 'bedtime' } },
    { name: 'away with a reason', input: { type: 'away', reason: 'lunch', ref: 'a' }, output: { type: 'away', reason: 'lunch', ref: 'a' } },
    { name: 'away without one (back)', input: { type: 'away' }, output: { type: 'away' } },
    { name: 'whois', input: { type: 'whois', nick: 'Bob' }, output: { type: 'whois', nick: 'Bob' } },
    { name: 'stats', input: { type: 'stats', ref: 's' }, output: { type: 'stats', ref: 's' } },
    { name: 'read', input: { type: 'read', room: 'Dev', seq: 42, ref: 'r' }, output: { type: 'read', room: '#Dev', seq: 42, ref: 'r' } },
    { name: 'read of nothing yet (seq 0)', input: { type: 'read', room: '#a', seq: 0 }, output: { type: 'read', room: '#a', seq: 0 } },
    {
      name: 'extra fields are dropped, including ones the server sets itself',
      input: { type: 'say', room: '#a', text: 'hi', from: 'mallory', id: 'x', seq: 9, ts: 1, extra: { deep: true } },
      output: { type: 'say', room: '#a', text: 'hi' },
    },
    {
      name: 'astral characters, ZWJ sequences and bidi controls pass as they are (only renderings mark them)',
      input: { type: 'say', room: '#a', text: '😀 👨\u200d👩\u200d👧 \u{10ffff} abc\u202egnp.exe', ref: '😀' },
      output: { type: 'say', room: '#a', text: '😀 👨\u200d👩\u200d👧 \u{10ffff} abc\u202egnp.exe', ref: '😀' },
    },
    { name: 'extra fields are dropped from field-less types', input: { type: 'ping', x: 1, y: null }, output: { type: 'ping' } },
    { name: 'register', input: { type: 'register', password: 'p w d' }, output: { type: 'register', password: 'p w d' } },
    {
      name: 'register with an email and ref',
      input: { type: 'register', password: 'pw', email: 'a@example.org', ref: 'r' },
      output: { type: 'register', password: 'pw', email: 'a@example.org', ref: 'r' },
    },
    { name: 'identify', input: { type: 'identify', password: 'pw' }, output: { type: 'identify', password: 'pw' } },
    { name: 'identify as an account', input: { type: 'identify', password: 'pw', account: 'Bob' }, output: { type: 'identify', password: 'pw', account: 'Bob' } },
    { name: 'password', input: { type: 'password', old: 'a', new: 'b', ref: 'x' }, output: { type: 'password', old: 'a', new: 'b', ref: 'x' } },
    { name: 'drop', input: { type: 'drop', password: 'pw' }, output: { type: 'drop', password: 'pw' } },
    { name: 'ghost', input: { type: 'ghost', nick: 'bob', password: 'pw' }, output: { type: 'ghost', nick: 'bob', password: 'pw' } },
    { name: 'operator', input: { type: 'operator', account: 'fred', grant: false }, output: { type: 'operator', account: 'fred', grant: false } },
    { name: 'kill', input: { type: 'kill', nick: 'bob', reason: 'spam' }, output: { type: 'kill', nick: 'bob', reason: 'spam' } },
    {
      name: 'ban with a duration',
      input: { type: 'ban', mask: '203.0.113.0/24', duration: 3600, reason: 'spam', ref: 'b' },
      output: { type: 'ban', mask: '203.0.113.0/24', duration: 3600, reason: 'spam', ref: 'b' },
    },
    { name: 'unban', input: { type: 'unban', mask: '::1' }, output: { type: 'unban', mask: '::1' } },
    { name: 'bans', input: { type: 'bans' }, output: { type: 'bans' } },
    { name: 'bans of a room', input: { type: 'bans', room: 'den' }, output: { type: 'bans', room: '#den' } },
    { name: 'join with a key', input: { type: 'join', room: 'den', key: 'sesame' }, output: { type: 'join', room: '#den', key: 'sesame' } },
    { name: 'kick', input: { type: 'kick', room: '#den', nick: 'bob', reason: 'x' }, output: { type: 'kick', room: '#den', nick: 'bob', reason: 'x' } },
    { name: 'mute', input: { type: 'mute', room: '#den', mask: 'bob', duration: 60 }, output: { type: 'mute', room: '#den', mask: 'bob', duration: 60 } },
    { name: 'unmute', input: { type: 'unmute', room: '#den', mask: 'bob' }, output: { type: 'unmute', room: '#den', mask: 'bob' } },
    { name: 'role', input: { type: 'role', room: '#den', account: 'fred', role: 'voice' }, output: { type: 'role', room: '#den', account: 'fred', role: 'voice' } },
    { name: 'invite', input: { type: 'invite', room: '#den', nick: 'ivan' }, output: { type: 'invite', room: '#den', nick: 'ivan' } },
    {
      name: 'settings',
      input: { type: 'settings', room: '#den', inviteOnly: true, key: '', moderated: false, secret: true, topicOps: true, limit: 0 },
      output: { type: 'settings', room: '#den', inviteOnly: true, key: '', moderated: false, secret: true, topicOps: true, limit: 0 },
    },
  ];

  it.each(cases)('$name', ({ input, output }) => {
    expect(parseClientMessage(raw(input))).toStrictEqual({ ok: true, value: output });
  });

  it('accepts the fields in any order and with surrounding whitespace', () => {
    expect(parseClientMessage(' \n{"text":"hi","room":"a","type":"say"}\t ')).toStrictEqual({
      ok: true,
      value: { type: 'say', room: '#a', text: 'hi' },
    });
  });

  it('reads an integer written -0 as 0, so the message survives a JSON round trip (found by parse.property.test.ts)', () => {
    const result = parseClientMessage('{"type":"rooms","from":-0}');
    expect(result).toStrictEqual({ ok: true, value: { type: 'rooms', from: 0 } });
    expect(Object.is(result.ok && (result.value as { from?: number }).from, 0)).toBe(true);
  });

  it('covers every client message type in the table above', () => {
    const covered = new Set(cases.map((c) => c.input.type));
    expect([...covered].sort()).toStrictEqual([...CLIENT_MESSAGE_TYPES].sort());
  });

  it('knows exactly the protocol v1 request types', () => {
    expect([...CLIENT_MESSAGE_TYPES].sort()).toStrictEqual([
      'away', 'ban', 'bans', 'dm', 'drop', 'ghost', 'hello', 'history', 'identify', 'invite', 'join', 'kick', 'kill', 'locate', 'mute', 'nick', 'operator',
      'part', 'password', 'ping', 'quit', 'read', 'register', 'role', 'rooms', 'say', 'search', 'settings', 'stats', 'topic', 'unban', 'unmute', 'who',
      'whois',
    ]);
  });
});

describe('parseClientMessage: rejected', () => {
  type Case = { name: string; input: string; code: ErrorCode; message: string; ref?: string };
  const bad = (name: string, input: unknown, code: ErrorCode, message: string, ref?: string): Case => ({
    name,
    input: typeof input === 'string' ? input : raw(input),
    code,
    message,
    ...(ref === undefined ? {} : { ref }),
  });
  const { BAD_JSON, BAD_MESSAGE, NICK_INVALID, ROOM_INVALID, TEXT_INVALID } = ErrorCode;
  const NOT_JSON = 'message is not valid JSON';
  const NOT_OBJECT = 'message must be a JSON object';

  const cases: Case[] = [
    // Not JSON at all.
    bad('an empty frame', '', BAD_JSON, NOT_JSON),
    bad('whitespace only', '  \n', BAD_JSON, NOT_JSON),
    bad('a truncated object', '{"type":"ping"', BAD_JSON, NOT_JSON),
    bad('single quotes', "{'type':'ping'}", BAD_JSON, NOT_JSON),
    bad('a trailing comma', '{"type":"ping",}', BAD_JSON, NOT_JSON),
    bad('two objects in one frame', '{"type":"ping"}{"type":"ping"}', BAD_JSON, NOT_JSON),
    bad('garbage after the object', '{"type":"ping"} x', BAD_JSON, NOT_JSON),
    bad('a bare word', 'ping', BAD_JSON, NOT_JSON),
    bad('a text-mode command', '/join #lobby', BAD_JSON, NOT_JSON),
    // JSON, but not an object.
    bad('null', 'null', BAD_MESSAGE, NOT_OBJECT),
    bad('a number', '42', BAD_MESSAGE, NOT_OBJECT),
    bad('a string', '"ping"', BAD_MESSAGE, NOT_OBJECT),
    bad('a boolean', 'true', BAD_MESSAGE, NOT_OBJECT),
    bad('an empty array', '[]', BAD_MESSAGE, NOT_OBJECT),
    bad('an array holding a message', '[{"type":"ping"}]', BAD_MESSAGE, NOT_OBJECT),
    // The type.
    bad('an empty object', '{}', BAD_MESSAGE, "missing field 'type'"),
    bad('a numeric type', { type: 5 }, BAD_MESSAGE, "missing field 'type'"),
    bad('a null type', { type: null }, BAD_MESSAGE, "missing field 'type'"),
    bad('an unknown type', { type: 'fly' }, BAD_MESSAGE, "unknown message type 'fly'"),
    bad('a type in the wrong case', { type: 'PING' }, BAD_MESSAGE, "unknown message type 'PING'"),
    bad('an empty type', { type: '' }, BAD_MESSAGE, "unknown message type ''"),
    bad('a server-to-client type', { type: 'welcome' }, BAD_MESSAGE, "unknown message type 'welcome'"),
    bad('an Object.prototype name as type', { type: 'toString' }, BAD_MESSAGE, "unknown message type 'toString'"),
    bad('constructor as type', { type: 'constructor' }, BAD_MESSAGE, "unknown message type 'constructor'"),
    bad('__proto__ as type', { type: '__proto__' }, BAD_MESSAGE, "unknown message type '__proto__'"),
    bad('a long unknown type is cut to 32 characters', { type: 'x'.repeat(100) }, BAD_MESSAGE, `unknown message type '${'x'.repeat(32)}'`),
    // hello
    bad('hello without nick', { type: 'hello' }, BAD_MESSAGE, "missing field 'nick'"),
    bad('hello with a numeric nick', { type: 'hello', nick: 7 }, BAD_MESSAGE, "field 'nick' must be a string"),
    bad('hello with a null nick', { type: 'hello', nick: null }, BAD_MESSAGE, "field 'nick' must be a string"),
    bad('hello with an empty nick', { type: 'hello', nick: '' }, NICK_INVALID, `nick ${NICK_RULE}`),
    bad('hello with a nick starting with a digit', { type: 'hello', nick: '1alice' }, NICK_INVALID, `nick ${NICK_RULE}`),
    bad('hello with a 25-character nick', { type: 'hello', nick: 'a'.repeat(25) }, NICK_INVALID, `nick ${NICK_RULE}`),
    bad('hello with a space in the nick', { type: 'hello', nick: 'al ice' }, NICK_INVALID, `nick ${NICK_RULE}`),
    bad('hello with a non-ASCII nick', { type: 'hello', nick: 'zoë' }, NICK_INVALID, `nick ${NICK_RULE}`),
    bad('hello with a numeric password', { type: 'hello', nick: 'a', password: 1234 }, BAD_MESSAGE, "field 'password' must be a string"),
    bad('hello with a 257-character password', { type: 'hello', nick: 'a', password: 'p'.repeat(257) }, BAD_MESSAGE, 'password is longer than 256 characters'),
    bad('hello with a control character in client', { type: 'hello', nick: 'a', client: 'x\u001b[31m' }, BAD_MESSAGE, 'client contains control characters'),
    bad('hello with a 65-character client', { type: 'hello', nick: 'a', client: 'c'.repeat(65) }, BAD_MESSAGE, 'client is longer than 64 characters'),
    // join / who (room only)
    bad('join without room', { type: 'join' }, BAD_MESSAGE, "missing field 'room'"),
    bad('join with a numeric room', { type: 'join', room: 1 }, BAD_MESSAGE, "field 'room' must be a string"),
    bad('join with an array room', { type: 'join', room: ['#a'] }, BAD_MESSAGE, "field 'room' must be a string"),
    bad('join with an empty room', { type: 'join', room: '' }, ROOM_INVALID, ROOM_RULE),
    bad('join with only #', { type: 'join', room: '#' }, ROOM_INVALID, ROOM_RULE),
    bad('join with ##', { type: 'join', room: '##lobby' }, ROOM_INVALID, ROOM_RULE),
    bad('join with a space in the room', { type: 'join', room: 'the lobby' }, ROOM_INVALID, ROOM_RULE),
    bad('join with punctuation in the room', { type: 'join', room: 'lobby!' }, ROOM_INVALID, ROOM_RULE),
    bad('join with a 33-character room', { type: 'join', room: `#${'r'.repeat(33)}` }, ROOM_INVALID, ROOM_RULE),
    bad('who without room', { type: 'who' }, BAD_MESSAGE, "missing field 'room'"),
    bad('who with a bad room', { type: 'who', room: '#a.b' }, ROOM_INVALID, ROOM_RULE),
    // part
    bad('part without room', { type: 'part', reason: 'x' }, BAD_MESSAGE, "missing field 'room'"),
    bad('part with a numeric reason', { type: 'part', room: '#a', reason: 3 }, BAD_MESSAGE, "field 'reason' must be a string"),
    bad('part with a 301-character reason', { type: 'part', room: '#a', reason: 'r'.repeat(301) }, BAD_MESSAGE, 'reason is longer than 300 characters'),
    bad('part with a newline in the reason', { type: 'part', room: '#a', reason: 'a\nb' }, BAD_MESSAGE, 'reason contains control characters'),
    // say
    bad('say without text', { type: 'say', room: '#a' }, BAD_MESSAGE, "missing field 'text'"),
    bad('say without room', { type: 'say', text: 'hi' }, BAD_MESSAGE, "missing field 'room'"),
    bad('say with a null room', { type: 'say', room: null, text: 'hi' }, BAD_MESSAGE, "field 'room' must be a string"),
    bad('say with numeric text', { type: 'say', room: '#a', text: 42 }, BAD_MESSAGE, "field 'text' must be a string"),
    bad('say with object text', { type: 'say', room: '#a', text: { t: 'hi' } }, BAD_MESSAGE, "field 'text' must be a string"),
    bad('say with a string action', { type: 'say', room: '#a', text: 'hi', action: 'yes' }, BAD_MESSAGE, "field 'action' must be a boolean"),
    bad('say with a numeric action', { type: 'say', room: '#a', text: 'hi', action: 1 }, BAD_MESSAGE, "field 'action' must be a boolean"),
    bad('say with empty text', { type: 'say', room: '#a', text: '' }, TEXT_INVALID, 'text is empty'),
    bad('say with 4001 characters', { type: 'say', room: '#a', text: 'x'.repeat(4001) }, TEXT_INVALID, 'text is longer than 4000 characters'),
    bad('say with 4001 emoji', { type: 'say', room: '#a', text: '😀'.repeat(4001) }, TEXT_INVALID, 'text is longer than 4000 characters'),
    bad('say with NUL', { type: 'say', room: '#a', text: 'a\u0000b' }, TEXT_INVALID, TEXT_CONTROL),
    bad('say with BEL', { type: 'say', room: '#a', text: 'ding\u0007' }, TEXT_INVALID, TEXT_CONTROL),
    bad('say with CR', { type: 'say', room: '#a', text: 'over\rwrite' }, TEXT_INVALID, TEXT_CONTROL),
    bad('say with ESC', { type: 'say', room: '#a', text: '\u001b[2J' }, TEXT_INVALID, TEXT_CONTROL),
    bad('say with DEL', { type: 'say', room: '#a', text: 'a\u007f' }, TEXT_INVALID, TEXT_CONTROL),
    bad('say with C1 CSI', { type: 'say', room: '#a', text: '\u009b2J' }, TEXT_INVALID, TEXT_CONTROL),
    bad('say to a bad room', { type: 'say', room: 'no room', text: 'hi' }, ROOM_INVALID, ROOM_RULE),
    // dm
    bad('dm without to', { type: 'dm', text: 'hi' }, BAD_MESSAGE, "missing field 'to'"),
    bad('dm with a numeric to', { type: 'dm', to: 1, text: 'hi' }, BAD_MESSAGE, "field 'to' must be a string"),
    bad('dm to an invalid nick', { type: 'dm', to: 'no one', text: 'hi' }, NICK_INVALID, `to ${NICK_RULE}`),
    bad('dm with empty text', { type: 'dm', to: 'bob', text: '' }, TEXT_INVALID, 'text is empty'),
    bad('dm with a control character', { type: 'dm', to: 'bob', text: '\u0008' }, TEXT_INVALID, TEXT_CONTROL),
    // nick
    bad('nick without nick', { type: 'nick' }, BAD_MESSAGE, "missing field 'nick'"),
    bad('nick with a bad nick', { type: 'nick', nick: '-dash' }, NICK_INVALID, `nick ${NICK_RULE}`),
    // topic
    bad('topic without topic', { type: 'topic', room: '#a' }, BAD_MESSAGE, "missing field 'topic'"),
    bad('topic with a null topic', { type: 'topic', room: '#a', topic: null }, BAD_MESSAGE, "field 'topic' must be a string"),
    bad('topic with 501 characters', { type: 'topic', room: '#a', topic: 't'.repeat(501) }, TEXT_INVALID, 'topic is longer than 500 characters'),
    bad('topic with a newline', { type: 'topic', room: '#a', topic: 'a\nb' }, TEXT_INVALID, 'topic contains control characters'),
    bad('topic with a bad room', { type: 'topic', room: '', topic: 'x' }, ROOM_INVALID, ROOM_RULE),
    // history
    bad('history without room', { type: 'history', limit: 5 }, BAD_MESSAGE, "missing field 'room'"),
    bad('history with limit 0', { type: 'history', room: '#a', limit: 0 }, BAD_MESSAGE, 'limit must be an integer from 1 to 200'),
    bad('history with limit 201', { type: 'history', room: '#a', limit: 201 }, BAD_MESSAGE, 'limit must be an integer from 1 to 200'),
    bad('history after a negative seq', { type: 'history', room: '#a', after: -1 }, BAD_MESSAGE, `after must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}`),
    bad('locate with an id over 64 characters', { type: 'locate', room: '#a', id: 'x'.repeat(65) }, BAD_MESSAGE, 'id is longer than 64 characters'),
    bad('locate at a negative time', { type: 'locate', room: '#a', ts: -5 }, BAD_MESSAGE, `ts must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}`),
    bad('history with a negative limit', { type: 'history', room: '#a', limit: -5 }, BAD_MESSAGE, 'limit must be an integer from 1 to 200'),
    bad('history with a fractional limit', { type: 'history', room: '#a', limit: 1.5 }, BAD_MESSAGE, "field 'limit' must be an integer"),
    bad('history with a string limit', { type: 'history', room: '#a', limit: '10' }, BAD_MESSAGE, "field 'limit' must be an integer"),
    bad('history with before 0', { type: 'history', room: '#a', before: 0 }, BAD_MESSAGE, `before must be an integer from 1 to ${MAX_SAFE}`),
    bad('history with a negative before', { type: 'history', room: '#a', before: -1 }, BAD_MESSAGE, `before must be an integer from 1 to ${MAX_SAFE}`),
    bad('history with a fractional before', { type: 'history', room: '#a', before: 10.25 }, BAD_MESSAGE, "field 'before' must be an integer"),
    bad('read without seq', { type: 'read', room: '#a', ref: 'r' }, BAD_MESSAGE, "missing field 'seq'", 'r'),
    bad('read without room', { type: 'read', seq: 3 }, BAD_MESSAGE, "missing field 'room'"),
    bad('read with a negative seq', { type: 'read', room: '#a', seq: -1 }, BAD_MESSAGE, `seq must be an integer from 0 to ${MAX_SAFE}`),
    bad('read with a fractional seq', { type: 'read', room: '#a', seq: 2.5 }, BAD_MESSAGE, "field 'seq' must be an integer"),
    bad('read with a string seq', { type: 'read', room: '#a', seq: '7' }, BAD_MESSAGE, "field 'seq' must be an integer"),
    bad('read with a seq past 2^53', { type: 'read', room: '#a', seq: 2 ** 53 }, BAD_MESSAGE, "field 'seq' must be an integer"),
    bad('read of a bad room name', { type: 'read', room: '#a b', seq: 1 }, ROOM_INVALID, 'room must be # and 1-32 of A-Z a-z 0-9 _ -'),
    bad('search without query', { type: 'search', room: '#a' }, BAD_MESSAGE, "missing field 'query'"),
    bad('search with a numeric query', { type: 'search', room: '#a', query: 7 }, BAD_MESSAGE, "field 'query' must be a string"),
    bad('search for nothing', { type: 'search', room: '#a', query: '' }, TEXT_INVALID, 'query must hold at least one word (letters or digits)'),
    bad('search for punctuation only', { type: 'search', room: '#a', query: '" * - ( ) ^ :' }, TEXT_INVALID, 'query must hold at least one word (letters or digits)'),
    bad('search for 17 words', { type: 'search', room: '#a', query: 'w '.repeat(17) }, TEXT_INVALID, 'query holds 17 words; at most 16 are searched for at once'),
    bad('search with 201 characters', { type: 'search', room: '#a', query: 'q'.repeat(201) }, TEXT_INVALID, 'query is longer than 200 characters'),
    bad('search with a newline', { type: 'search', room: '#a', query: 'a\nb' }, TEXT_INVALID, 'query contains control characters'),
    bad('search with a lone surrogate', { type: 'search', room: '#a', query: 'a\ud800' }, TEXT_INVALID, `query ${UNPAIRED}`),
    bad('search with limit 201', { type: 'search', room: '#a', query: 'x', limit: 201 }, BAD_MESSAGE, 'limit must be an integer from 1 to 200'),
    bad('search with before 0', { type: 'search', room: '#a', query: 'x', before: 0 }, BAD_MESSAGE, `before must be an integer from 1 to ${MAX_SAFE}`),
    bad('search in a bad room', { type: 'search', room: 'a b', query: 'x' }, ROOM_INVALID, ROOM_RULE),
    bad('history with before past 2^53', { type: 'history', room: '#a', before: 2 ** 53 }, BAD_MESSAGE, "field 'before' must be an integer"),
    bad('history with before 1e300', '{"type":"history","room":"#a","before":1e300}', BAD_MESSAGE, "field 'before' must be an integer"),
    bad('history with a boolean before', { type: 'history', room: '#a', before: true }, BAD_MESSAGE, "field 'before' must be an integer"),
    // ref
    bad('a numeric ref', { type: 'ping', ref: 5 }, BAD_MESSAGE, "field 'ref' must be a string"),
    bad('a 65-character ref (too long to echo)', { type: 'ping', ref: 'r'.repeat(65) }, BAD_MESSAGE, 'ref is longer than 64 characters'),
    // Errors echo a readable ref so the client can match them to the request.
    bad('ref echoed on an unknown type', { type: 'fly', ref: 'q1' }, BAD_MESSAGE, "unknown message type 'fly'", 'q1'),
    bad('ref echoed on a missing type', { ref: 'q2' }, BAD_MESSAGE, "missing field 'type'", 'q2'),
    bad('ref echoed on a missing field', { type: 'say', room: '#a', ref: 'q3' }, BAD_MESSAGE, "missing field 'text'", 'q3'),
    bad('ref echoed on bad text', { type: 'say', room: '#a', text: '', ref: 'q4' }, TEXT_INVALID, 'text is empty', 'q4'),
    bad('ref echoed on a bad nick', { type: 'hello', nick: '9', ref: 'q5' }, NICK_INVALID, `nick ${NICK_RULE}`, 'q5'),
    bad('ref echoed on a bad room', { type: 'join', room: '!', ref: 'q6' }, ROOM_INVALID, ROOM_RULE, 'q6'),
    bad('ref of 64 emoji echoed (64 code points, 128 UTF-16 units)', { type: 'say', room: '#a', text: '', ref: '😀'.repeat(64) }, TEXT_INVALID, 'text is empty', '😀'.repeat(64)),
    bad('a 65-emoji ref (too long to echo)', { type: 'say', room: '#a', text: 'hi', ref: '😀'.repeat(65) }, BAD_MESSAGE, 'ref is longer than 64 characters'),
    bad('ref echoed on a bad limit', { type: 'history', room: '#a', limit: 999, ref: 'q7' }, BAD_MESSAGE, 'limit must be an integer from 1 to 200', 'q7'),
    // Lone surrogates: JSON can escape them, UTF-8 (and so SQLite) cannot hold them.
    bad('say with a lone high surrogate', { type: 'say', room: '#a', text: '\ud800' }, TEXT_INVALID, `text ${UNPAIRED}`),
    bad('say with a lone low surrogate', { type: 'say', room: '#a', text: 'a\udc00b' }, TEXT_INVALID, `text ${UNPAIRED}`),
    bad('say with a pair in the wrong order', { type: 'say', room: '#a', text: '\ude00\ud83d' }, TEXT_INVALID, `text ${UNPAIRED}`),
    bad('say with an emoji cut in half at the end', { type: 'say', room: '#a', text: '😀😀'.slice(0, 3) }, TEXT_INVALID, `text ${UNPAIRED}`),
    bad('dm with a lone surrogate', { type: 'dm', to: 'bob', text: 'hi \udfff' }, TEXT_INVALID, `text ${UNPAIRED}`),
    bad('topic with a lone surrogate', { type: 'topic', room: '#a', topic: '\ud800' }, TEXT_INVALID, `topic ${UNPAIRED}`),
    bad('part reason with a lone surrogate', { type: 'part', room: '#a', reason: '\ud800' }, BAD_MESSAGE, `reason ${UNPAIRED}`),
    bad('quit reason with a lone surrogate', { type: 'quit', reason: '\udc00' }, BAD_MESSAGE, `reason ${UNPAIRED}`),
    bad('hello password with a lone surrogate', { type: 'hello', nick: 'a', password: 'pw\ud800' }, BAD_MESSAGE, `password ${UNPAIRED}`),
    bad('hello client with a lone surrogate', { type: 'hello', nick: 'a', client: '\ud800x' }, BAD_MESSAGE, `client ${UNPAIRED}`),
    bad('a ref with a lone surrogate is refused and not echoed', { type: 'ping', ref: 'r\ud800' }, BAD_MESSAGE, `ref ${UNPAIRED}`),
    bad('a ref with a lone surrogate is not echoed on another error', { type: 'say', room: '#a', text: '', ref: '\ud800' }, TEXT_INVALID, 'text is empty'),
    bad('an unknown type holding a lone surrogate is echoed with U+FFFD', { type: 'x\ud800y' }, BAD_MESSAGE, "unknown message type 'x\ufffdy'"),
    bad('an unknown type is never cut inside a pair', { type: `${'x'.repeat(31)}😀tail` }, BAD_MESSAGE, `unknown message type '${'x'.repeat(31)}'`),
    // __proto__ in the input is an ordinary own key: it neither supplies fields nor pollutes anything.
    bad('fields hidden under __proto__ do not count', '{"type":"say","__proto__":{"room":"#a","text":"hi"}}', BAD_MESSAGE, "missing field 'room'"),
    bad('a type hidden under __proto__ does not count', '{"__proto__":{"type":"ping"}}', BAD_MESSAGE, "missing field 'type'"),
  ];

  it.each(cases)('$name -> $code', ({ input, code, message, ref }) => {
    const error = ref === undefined ? { code, message } : { code, message, ref };
    expect(parseClientMessage(input)).toStrictEqual({ ok: false, error });
  });

  it('never echoes a ref on BAD_JSON, since none can be read', () => {
    expect(parseClientMessage('{"type":"ping","ref":"r1"')).toStrictEqual({
      ok: false,
      error: { code: BAD_JSON, message: NOT_JSON },
    });
  });

  it('reports the first failing field in schema order', () => {
    const result = parseClientMessage(raw({ type: 'say', text: '', room: '!' }));
    expect(result).toStrictEqual({ ok: false, error: { code: ROOM_INVALID, message: ROOM_RULE } });
  });
});

describe('parseClientMessage: hostile input', () => {
  it('treats a __proto__ key as data and pollutes nothing', () => {
    const result = parseClientMessage('{"type":"ping","__proto__":{"ref":"x","polluted":true}}');
    expect(result).toStrictEqual({ ok: true, value: { type: 'ping' } });
    if (!result.ok) throw new Error('unreachable');
    expect(Object.getPrototypeOf(result.value)).toBe(Object.prototype);
    expect(Object.keys(result.value)).toStrictEqual(['type']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('accepts a message that also carries constructor and __proto__ keys', () => {
    const result = parseClientMessage('{"type":"join","room":"a","constructor":{"prototype":{"x":1}},"__proto__":null}');
    expect(result).toStrictEqual({ ok: true, value: { type: 'join', room: '#a' } });
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('never throws, whatever it is given', () => {
    const inputs = [
      '\u0000', '\uffff', '\ud800', '{"type":{"toString":1}}', '{"type":"say","room":{"length":1},"text":"x"}',
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`, `{"type":"ping","ref":"${'x'.repeat(70_000)}"}`,
      '{"type":"history","room":"#a","limit":-0}', '{"type":"say","room":"#a","text":"hi","action":null}',
    ];
    for (const input of inputs) {
      const result = parseClientMessage(input);
      expect(result.ok, input.slice(0, 40)).toBe(false);
    }
  });
});

describe('validateClientMessage', () => {
  it('checks and normalizes an already-decoded message', () => {
    expect(validateClientMessage({ type: 'join', room: 'dev', extra: 1 })).toStrictEqual({
      ok: true,
      value: { type: 'join', room: '#dev' },
    });
  });

  it('treats an undefined optional field as absent', () => {
    expect(validateClientMessage({ type: 'part', room: '#a', reason: undefined })).toStrictEqual({
      ok: true,
      value: { type: 'part', room: '#a' },
    });
  });

  it('reads only own properties, never inherited ones', () => {
    const input = Object.assign(Object.create({ room: '#a', text: 'inherited' }) as object, { type: 'say' });
    expect(validateClientMessage(input)).toStrictEqual({
      ok: false,
      error: { code: ErrorCode.BAD_MESSAGE, message: "missing field 'room'" },
    });
  });

  it('rejects values JSON cannot carry', () => {
    expect(validateClientMessage({ type: 'history', room: '#a', limit: Number.NaN })).toStrictEqual({
      ok: false,
      error: { code: ErrorCode.BAD_MESSAGE, message: "field 'limit' must be an integer" },
    });
    expect(validateClientMessage('ping')).toStrictEqual({
      ok: false,
      error: { code: ErrorCode.BAD_MESSAGE, message: 'message must be a JSON object' },
    });
  });
});

describe('parseServerMessage: accepted', () => {
  const chat = { room: '#lobby', id: 'V1StGXR8_Z5jdHi6B-myT', seq: 7, from: 'alice', text: 'hi', ts: 1_700_000_000_000 };
  const cases: { name: string; input: Record<string, unknown>; output?: Record<string, unknown> }[] = [
    { name: 'welcome', input: { type: 'welcome', sid: 's1', nick: 'alice', server: 'chat', version: 1 } },
    { name: 'welcome with motd', input: { type: 'welcome', sid: 's1', nick: 'alice', server: 'chat', version: 1, motd: 'hi all' } },
    { name: 'welcome with limits', input: { type: 'welcome', sid: 's1', nick: 'alice', server: 'chat', version: 1, limits: { rate: 20, burst: 40 } } },
    { name: 'joined', input: { type: 'joined', room: '#lobby', nick: 'alice', ts: 1 } },
    { name: 'left', input: { type: 'left', room: '#lobby', nick: 'alice' } },
    { name: 'left with reason', input: { type: 'left', room: '#lobby', nick: 'alice', reason: 'quit' } },
    { name: 'message', input: { type: 'message', ...chat } },
    { name: 'message as an action', input: { type: 'message', ...chat, action: true } },
    { name: 'ack', input: { type: 'ack', ref: 'r1', id: 'abc', seq: 7, ts: 2 } },
    { name: 'dm', input: { type: 'dm', id: 'd', from: 'alice', to: 'bob', text: 'psst', ts: 3 } },
    { name: 'dm echo with ref and action', input: { type: 'dm', id: 'd', from: 'alice', to: 'bob', text: 'nods', ts: 3, action: true, ref: 'r2' } },
    { name: 'nick', input: { type: 'nick', old: 'alice', new: 'alicia' } },
    { name: 'topic', input: { type: 'topic', room: '#lobby', topic: 'be nice', by: 'alice', ts: 4 } },
    { name: 'history', input: { type: 'history', room: '#lobby', messages: [chat, { ...chat, seq: 8, action: true }], more: true } },
    { name: 'empty history', input: { type: 'history', room: '#lobby', messages: [], more: false } },
    {
      name: 'history drops unknown fields in its messages',
      input: { type: 'history', room: '#a', messages: [{ ...chat, extra: 1 }], more: false },
      output: { type: 'history', room: '#a', messages: [chat], more: false },
    },
    { name: 'search', input: { type: 'search', room: '#lobby', query: 'hi', messages: [chat], more: true, ref: 's1' } },
    { name: 'search without ref', input: { type: 'search', room: '#lobby', query: 'hi', messages: [], more: false } },
    { name: 'rooms', input: { type: 'rooms', rooms: [{ name: '#lobby', users: 3, topic: '' }, { name: '#dev', users: 1, topic: 'ts' }] } },
    { name: 'who', input: { type: 'who', room: '#lobby', users: ['alice', 'bob'], total: 2 } },
    { name: 'who preview of a large room', input: { type: 'who', room: '#big', users: ['alice'], total: 5000 } },
    { name: 'who with the topic and who is away', input: { type: 'who', room: '#a', users: ['alice', 'bob'], total: 2, topic: 't', away: ['bob'] } },
    {
      name: 'who with roles and settings',
      input: { type: 'who', room: '#a', users: ['alice', 'bob', 'cy'], total: 3, ops: ['alice'], voiced: ['bob'], settings: { moderated: true, key: 'k', limit: 9 } },
    },
    { name: 'joined by an operator', input: { type: 'joined', room: '#a', nick: 'alice', ts: 1, role: 'op' } },
    { name: 'left, kicked', input: { type: 'left', room: '#a', nick: 'bob', reason: 'kicked by alice: spam', by: 'alice' } },
    { name: 'role', input: { type: 'role', room: '#a', nick: 'bob', role: 'voice', was: 'none', by: 'alice' } },
    { name: 'role of a room\'s creator', input: { type: 'role', room: '#a', nick: 'alice', role: 'op', was: 'none' } },
    { name: 'settings', input: { type: 'settings', room: '#a', settings: { inviteOnly: true }, changed: ['inviteOnly', 'key'], by: 'alice' } },
    {
      name: 'settings drop unknown fields in the settings',
      input: { type: 'settings', room: '#a', settings: { secret: true, colour: 'red' }, changed: ['secret'] },
      output: { type: 'settings', room: '#a', settings: { secret: true }, changed: ['secret'] },
    },
    { name: 'joined by someone away', input: { type: 'joined', room: '#lobby', nick: 'bob', ts: 1, away: 'lunch' } },
    { name: 'dm to someone away', input: { type: 'dm', id: 'd', from: 'alice', to: 'bob', text: 'hi', ts: 3, ref: 'r', away: 'lunch' } },
    { name: 'away', input: { type: 'away', nick: 'bob', reason: 'lunch' } },
    { name: 'back', input: { type: 'away', nick: 'bob', ref: 'r' } },
    { name: 'whois', input: { type: 'whois', nick: 'Bob', account: 'bob', away: 'lunch', ref: 'w' } },
    { name: 'message from someone logged in', input: { type: 'message', ...chat, account: 'alice' } },
    { name: 'history of messages from someone logged in', input: { type: 'history', room: '#lobby', messages: [{ ...chat, account: 'alice' }, chat], more: false } },
    { name: 'joined by someone logged in', input: { type: 'joined', room: '#lobby', nick: 'bob', ts: 1, account: 'Bob' } },
    { name: 'dm from someone logged in', input: { type: 'dm', id: 'd', from: 'alice', to: 'bob', text: 'hi', ts: 3, account: 'alice' } },
    { name: "who with members' accounts", input: { type: 'who', room: '#a', users: ['alice', 'bob'], total: 2, accounts: ['alice', null] } },
    { name: 'login', input: { type: 'login', nick: 'bob', account: 'Bob' } },
    { name: 'logout', input: { type: 'login', nick: 'bob' } },
    { name: 'whois of a guest', input: { type: 'whois', nick: 'guest' } },
    { name: 'stats', input: { type: 'stats', users: 3, rooms: 2, servers: 1, localUsers: 3, maxLocalUsers: 4, operators: 0, ref: 's' } },
    { name: 'read marker', input: { type: 'read', room: '#dev', seq: 12 } },
    { name: 'read marker answering a read', input: { type: 'read', room: '#dev', seq: 12, ref: 'r' } },
    { name: 'pong', input: { type: 'pong' } },
    { name: 'pong with ref', input: { type: 'pong', ref: 'p' } },
    { name: 'error', input: { type: 'error', code: 'NOT_IN_ROOM', message: 'join #dev first' } },
    { name: 'error with ref', input: { type: 'error', code: 'RATE_LIMITED', message: 'slow down', ref: 'r3' } },
    { name: 'bye', input: { type: 'bye', reason: 'server shutting down' } },
    {
      name: 'extra fields are dropped',
      input: { type: 'bye', reason: 'idle', typing: true },
      output: { type: 'bye', reason: 'idle' },
    },
  ];

  it.each(cases)('$name', ({ input, output }) => {
    expect(parseServerMessage(raw(input))).toStrictEqual({ ok: true, value: output ?? input });
  });

  it('covers every server message type', () => {
    const covered = new Set(cases.map((c) => c.input.type));
    expect([...covered].sort()).toStrictEqual(
      ['ack', 'away', 'bye', 'dm', 'error', 'history', 'joined', 'left', 'login', 'message', 'nick', 'pong', 'read', 'role', 'rooms', 'search', 'settings', 'stats', 'topic', 'welcome', 'who', 'whois'],
    );
  });
});

describe('parseServerMessage: rejected', () => {
  const chat = { room: '#lobby', id: 'i', seq: 7, from: 'alice', text: 'hi', ts: 1 };
  const cases: { name: string; input: string; message: string; code?: ErrorCode }[] = [
    { name: 'not JSON', input: 'welcome', code: ErrorCode.BAD_JSON, message: 'message is not valid JSON' },
    { name: 'an array', input: '[]', message: 'message must be a JSON object' },
    { name: 'a client-only type', input: raw({ type: 'say', room: '#a', text: 'x' }), message: "unknown message type 'say'" },
    { name: 'welcome without sid', input: raw({ type: 'welcome', nick: 'a', server: 's', version: 1 }), message: "missing field 'sid'" },
    { name: 'welcome with a string version', input: raw({ type: 'welcome', sid: 's', nick: 'a', server: 's', version: '1' }), message: "field 'version' must be an integer" },
    { name: 'welcome with a string rate', input: raw({ type: 'welcome', sid: 's', nick: 'a', server: 's', version: 1, limits: { rate: '20', burst: 40 } }), message: "limits: field 'rate' must be an integer" },
    { name: 'welcome with limits not an object', input: raw({ type: 'welcome', sid: 's', nick: 'a', server: 's', version: 1, limits: 20 }), message: "field 'limits' must be an object" },
    { name: 'message with a fractional seq', input: raw({ type: 'message', ...chat, seq: 1.5 }), message: "field 'seq' must be an integer" },
    { name: 'ack without ref', input: raw({ type: 'ack', id: 'i', seq: 1, ts: 1 }), message: "missing field 'ref'" },
    { name: 'history with a non-boolean more', input: raw({ type: 'history', room: '#a', messages: [], more: 0 }), message: "field 'more' must be a boolean" },
    { name: 'history with messages not an array', input: raw({ type: 'history', room: '#a', messages: {}, more: false }), message: "field 'messages' must be an array" },
    { name: 'history with a non-object message', input: raw({ type: 'history', room: '#a', messages: ['hi'], more: false }), message: 'messages[]: expected a JSON object' },
    { name: 'history with a message missing seq', input: raw({ type: 'history', room: '#a', messages: [{ ...chat, seq: undefined }], more: false }), message: "messages[]: missing field 'seq'" },
    { name: 'search without query', input: raw({ type: 'search', room: '#a', messages: [], more: false }), message: "missing field 'query'" },
    { name: 'search with a message missing text', input: raw({ type: 'search', room: '#a', query: 'q', messages: [{ ...chat, text: undefined }], more: false }), message: "messages[]: missing field 'text'" },
    { name: 'rooms with a string user count', input: raw({ type: 'rooms', rooms: [{ name: '#a', users: '3', topic: '' }] }), message: "rooms[]: field 'users' must be an integer" },
    { name: 'who with a numeric user', input: raw({ type: 'who', room: '#a', users: ['a', 1], total: 2 }), message: 'users must be strings' },
    { name: 'who without total', input: raw({ type: 'who', room: '#a', users: ['a'] }), message: "missing field 'total'" },
    { name: 'who with a numeric away nick', input: raw({ type: 'who', room: '#a', users: ['a'], total: 1, away: [1] }), message: 'away must be strings' },
    { name: 'who with settings not an object', input: raw({ type: 'who', room: '#a', users: [], total: 0, settings: 'moderated' }), message: "field 'settings' must be an object" },
    { name: 'settings with a string limit', input: raw({ type: 'settings', room: '#a', settings: { limit: '5' }, changed: ['limit'] }), message: "settings: field 'limit' must be an integer" },
    { name: 'role without was', input: raw({ type: 'role', room: '#a', nick: 'b', role: 'op' }), message: "missing field 'was'" },
    { name: 'away without nick', input: raw({ type: 'away', reason: 'x' }), message: "missing field 'nick'" },
    { name: 'who with a numeric account', input: raw({ type: 'who', room: '#a', users: ['a'], total: 1, accounts: [1] }), message: 'accounts must be strings or null' },
    { name: 'login without nick', input: raw({ type: 'login', account: 'x' }), message: "missing field 'nick'" },
    { name: 'login with a numeric account', input: raw({ type: 'login', nick: 'a', account: 1 }), message: "field 'account' must be a string" },
    { name: 'read marker with a string seq', input: raw({ type: 'read', room: '#a', seq: '3' }), message: "field 'seq' must be an integer" },
    { name: 'read marker without room', input: raw({ type: 'read', seq: 3 }), message: "missing field 'room'" },
    { name: 'stats with a string count', input: raw({ type: 'stats', users: '3', rooms: 1, servers: 1, localUsers: 1, maxLocalUsers: 1, operators: 0 }), message: "field 'users' must be an integer" },
    { name: 'error with a numeric code', input: raw({ type: 'error', code: 1, message: 'x' }), message: "field 'code' must be a string" },
    { name: 'bye without reason', input: raw({ type: 'bye' }), message: "missing field 'reason'" },
  ];

  it.each(cases)('$name', ({ input, code, message }) => {
    expect(parseServerMessage(input)).toStrictEqual({ ok: false, error: { code: code ?? ErrorCode.BAD_MESSAGE, message } });
  });
});
