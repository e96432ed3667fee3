/**
 * shared/commands.ts: one line of user input -> protocol message, help text or usage error. Used by
 * the TCP text mode and the terminal client, so each row is exactly what a user types.
 */
import { describe, expect, it } from 'vitest';
import {
  COMMAND_NAMES,
  COMMANDS,
  carriesSecret,
  helpText,
  parseInput,
  type ClientMessage,
  type InputContext,
} from '../../shared/index.js';

const IN_LOBBY: InputContext = { room: '#lobby' };
const NOWHERE: InputContext = {};
const NEEDS_ROOM = 'you are not in a room: /join one first';
const NICK_RULE = 'must be 1-24 characters: a letter, then letters, digits or _-[]\\^{}|';

type Row = { input: string; ctx?: InputContext; message?: ClientMessage; error?: string; code?: string };
const msg = (input: string, message: ClientMessage, ctx: InputContext = IN_LOBBY): Row => ({ input, ctx, message });
const err = (input: string, error: string, ctx: InputContext = IN_LOBBY): Row => ({ input, ctx, error });
/** A well-formed command whose value breaks a protocol rule carries that rule's error code. */
const bad = (input: string, code: string, error: string): Row => ({ input, ctx: IN_LOBBY, error, code });

function expectRow({ input, ctx, message, error, code }: Row): void {
  const expected = message ? { kind: 'message', message } : code ? { kind: 'error', message: error, code } : { kind: 'error', message: error };
  expect(parseInput(input, ctx)).toStrictEqual(expected);
}

describe('parseInput: commands', () => {
  const rows: Row[] = [
    // join
    msg('/join #dev', { type: 'join', room: '#dev' }),
    msg('/join dev', { type: 'join', room: '#dev' }),
    msg('/join Dev', { type: 'join', room: '#Dev' }),
    msg('/JOIN #dev', { type: 'join', room: '#dev' }),
    msg('/join   #dev   ', { type: 'join', room: '#dev' }),
    msg('/join #dev sesame', { type: 'join', room: '#dev', key: 'sesame' }),
    msg('/join #dev sesame ignored words', { type: 'join', room: '#dev', key: 'sesame' }),
    msg('/join #dev', { type: 'join', room: '#dev' }, NOWHERE),
    err('/join', 'which room?'),
    bad('/join #no!', 'ROOM_INVALID', 'room must be # and 1-32 of A-Z a-z 0-9 _ -'),
    // part
    msg('/part', { type: 'part', room: '#lobby' }),
    msg('/part #dev', { type: 'part', room: '#dev' }),
    msg('/part #dev see you later', { type: 'part', room: '#dev', reason: 'see you later' }),
    msg('/part see you', { type: 'part', room: '#lobby', reason: 'see you' }),
    msg('/part #dev', { type: 'part', room: '#dev' }, NOWHERE),
    err('/part', NEEDS_ROOM, NOWHERE),
    err('/part bye', NEEDS_ROOM, NOWHERE),
    // msg
    msg('/msg bob hi there', { type: 'dm', to: 'bob', text: 'hi there' }),
    msg('/msg bob   two  spaces', { type: 'dm', to: 'bob', text: 'two  spaces' }),
    msg('/msg bob hi', { type: 'dm', to: 'bob', text: 'hi' }, NOWHERE),
    msg('/msg bob bob', { type: 'dm', to: 'bob', text: 'bob' }),
    err('/msg bob', 'usage: /msg nick text'),
    err('/msg', 'usage: /msg nick text'),
    bad('/msg 9bob hi', 'NICK_INVALID', `to ${NICK_RULE}`),
    // me
    msg('/me waves', { type: 'say', room: '#lobby', text: 'waves', action: true }),
    msg('/me waves at  everyone', { type: 'say', room: '#lobby', text: 'waves at  everyone', action: true }),
    err('/me', 'usage: /me action'),
    err('/me waves', NEEDS_ROOM, NOWHERE),
    // nick
    msg('/nick bob2', { type: 'nick', nick: 'bob2' }),
    msg('/nick bob2', { type: 'nick', nick: 'bob2' }, NOWHERE),
    err('/nick', 'usage: /nick newname'),
    bad('/nick 2bob', 'NICK_INVALID', `nick ${NICK_RULE}`),
    // topic
    msg('/topic be nice', { type: 'topic', room: '#lobby', topic: 'be nice' }),
    msg('/topic #dev ship it', { type: 'topic', room: '#dev', topic: 'ship it' }),
    msg('/topic #dev ship it', { type: 'topic', room: '#dev', topic: 'ship it' }, NOWHERE),
    err('/topic', 'usage: /topic [#room] text'),
    err('/topic #dev', 'usage: /topic [#room] text'),
    err('/topic hello', NEEDS_ROOM, NOWHERE),
    bad(`/topic ${'t'.repeat(501)}`, 'TEXT_INVALID', 'topic is longer than 500 characters'),
    // who
    msg('/who', { type: 'who', room: '#lobby' }),
    msg('/who #dev', { type: 'who', room: '#dev' }),
    msg('/who dev', { type: 'who', room: '#dev' }, NOWHERE),
    err('/who', NEEDS_ROOM, NOWHERE),
    bad('/who bad!room', 'ROOM_INVALID', 'room must be # and 1-32 of A-Z a-z 0-9 _ -'),
    // away, back, whois
    msg('/away lunch with  friends ', { type: 'away', reason: 'lunch with  friends' }),
    msg('/away', { type: 'away' }, NOWHERE),
    msg('/away    ', { type: 'away' }),
    msg('/back', { type: 'away' }),
    msg('/back ignored words', { type: 'away' }),
    bad(`/away ${'z'.repeat(301)}`, 'BAD_MESSAGE', 'reason is longer than 300 characters'),
    msg('/whois Bob', { type: 'whois', nick: 'Bob' }),
    err('/whois', 'usage: /whois nick'),
    bad('/whois 9bob', 'NICK_INVALID', `nick ${NICK_RULE}`),
    // rooms
    msg('/rooms', { type: 'rooms' }),
    msg('/rooms', { type: 'rooms' }, NOWHERE),
    // history
    msg('/history', { type: 'history', room: '#lobby' }),
    msg('/history 20', { type: 'history', room: '#lobby', limit: 20 }),
    msg('/history #dev', { type: 'history', room: '#dev' }),
    msg('/history #dev 5', { type: 'history', room: '#dev', limit: 5 }, NOWHERE),
    msg('/history 200', { type: 'history', room: '#lobby', limit: 200 }),
    bad('/history 201', 'BAD_MESSAGE', 'limit must be an integer from 1 to 200'),
    bad('/history 0', 'BAD_MESSAGE', 'limit must be an integer from 1 to 200'),
    err('/history many', 'usage: /history [#room] [count]'),
    err('/history 2.5', 'usage: /history [#room] [count]'),
    err('/history', NEEDS_ROOM, NOWHERE),
    // search
    msg('/search deploy', { type: 'search', room: '#lobby', query: 'deploy' }),
    msg('/search  deploy   failed ', { type: 'search', room: '#lobby', query: 'deploy   failed' }),
    msg('/search #dev deploy', { type: 'search', room: '#dev', query: 'deploy' }, NOWHERE),
    msg('/search dev deploy', { type: 'search', room: '#lobby', query: 'dev deploy' }),
    msg('/search #dev before:120 deploy it', { type: 'search', room: '#dev', query: 'deploy it', before: 120 }),
    msg('/search BEFORE:7 x', { type: 'search', room: '#lobby', query: 'x', before: 7 }),
    msg('/search before:soon', { type: 'search', room: '#lobby', query: 'before:soon' }),
    msg('/search "NEAR(a b)" OR -c*', { type: 'search', room: '#lobby', query: '"NEAR(a b)" OR -c*' }),
    err('/search', 'usage: /search [#room] words'),
    err('/search #dev', 'usage: /search [#room] words'),
    err('/search before:3', 'usage: /search [#room] words'),
    err('/search deploy', NEEDS_ROOM, NOWHERE),
    bad('/search * - "', 'TEXT_INVALID', 'query must hold at least one word (letters or digits)'),
    bad(`/search ${'w '.repeat(17)}`, 'TEXT_INVALID', 'query holds 17 words; at most 16 are searched for at once'),
    bad(`/search ${'w'.repeat(201)}`, 'TEXT_INVALID', 'query is longer than 200 characters'),
    bad('/search before:0 x', 'BAD_MESSAGE', 'before must be an integer from 1 to 9007199254740991'),
    // quit
    msg('/quit', { type: 'quit' }),
    msg('/quit', { type: 'quit' }, NOWHERE),
    msg('/quit gone fishing', { type: 'quit', reason: 'gone fishing' }),
    // unknown
    err('/fly', 'unknown command /fly: try /help'),
    err('/FLY high', 'unknown command /fly: try /help'),
    err('/', 'unknown command /: try /help'),
  ];

  it.each(rows)('$input', expectRow);
});

describe('parseInput: aliases', () => {
  const aliases: [string, string, ClientMessage][] = [
    ['/j #dev', '/join #dev', { type: 'join', room: '#dev' }],
    ['/leave #dev', '/part #dev', { type: 'part', room: '#dev' }],
    ['/query bob hi', '/msg bob hi', { type: 'dm', to: 'bob', text: 'hi' }],
    ['/m bob hi', '/msg bob hi', { type: 'dm', to: 'bob', text: 'hi' }],
    ['/names', '/who', { type: 'who', room: '#lobby' }],
    ['/list', '/rooms', { type: 'rooms' }],
    ['/exit bye', '/quit bye', { type: 'quit', reason: 'bye' }],
    ['/login secret12', '/identify secret12', { type: 'identify', password: 'secret12' }],
  ];
  it.each(aliases)('%s is %s', (alias, full, message) => {
    expect(parseInput(alias, IN_LOBBY)).toStrictEqual({ kind: 'message', message });
    expect(parseInput(full, IN_LOBBY)).toStrictEqual({ kind: 'message', message });
  });

  it('covers every alias in the table', () => {
    const tableAliases = COMMANDS.flatMap((c) => c.aliases ?? []).map((a) => `/${a}`).sort();
    expect(aliases.map(([alias]) => alias.split(' ')[0]).sort()).toStrictEqual(tableAliases);
  });
});

describe('parseInput: account commands', () => {
  const rows: Row[] = [
    msg('/register hunter22', { type: 'register', password: 'hunter22' }),
    msg('/register hunter22 me@example.org', { type: 'register', password: 'hunter22', email: 'me@example.org' }),
    err('/register', 'usage: /register password [email]'),
    msg('/identify hunter22', { type: 'identify', password: 'hunter22' }),
    msg('/identify Bob hunter22', { type: 'identify', account: 'Bob', password: 'hunter22' }),
    err('/identify', 'usage: /identify [account] password'),
    err('/identify a b c', 'usage: /identify [account] password'),
    msg('/ghost Bob hunter22', { type: 'ghost', nick: 'Bob', password: 'hunter22' }),
    err('/ghost Bob', 'usage: /ghost nick password'),
    msg('/password old1 new12345', { type: 'password', old: 'old1', new: 'new12345' }),
    err('/password old1', 'usage: /password old new'),
    msg('/drop hunter22', { type: 'drop', password: 'hunter22' }),
    err('/drop', 'usage: /drop password'),
    msg('/operator fred on', { type: 'operator', account: 'fred', grant: true }),
    msg('/operator fred off', { type: 'operator', account: 'fred', grant: false }),
    err('/operator fred', 'usage: /operator nick on|off'),
    msg('/kill Bob', { type: 'kill', nick: 'Bob' }),
    msg('/kill Bob stop the flood', { type: 'kill', nick: 'Bob', reason: 'stop the flood' }),
    err('/kill', 'usage: /kill nick [reason]'),
    msg('/serverban 203.0.113.7', { type: 'ban', mask: '203.0.113.7' }),
    msg('/serverban 203.0.113.0/24 2h spam wave', { type: 'ban', mask: '203.0.113.0/24', duration: 7200, reason: 'spam wave' }),
    msg('/serverban 203.0.113.7 7d', { type: 'ban', mask: '203.0.113.7', duration: 604_800 }),
    msg('/serverban 203.0.113.7 90s', { type: 'ban', mask: '203.0.113.7', duration: 90 }),
    msg('/serverban 203.0.113.7 for spam', { type: 'ban', mask: '203.0.113.7', reason: 'for spam' }),
    err('/serverban', 'usage: /serverban address[/bits] [30m|2h|7d] [reason]'),
    msg('/serverunban ::1', { type: 'unban', mask: '::1' }),
    err('/serverunban', 'usage: /serverunban address[/bits]'),
    msg('/serverbans', { type: 'bans' }),
    // room moderation, in the current room by default
    msg('/kick bob', { type: 'kick', room: '#lobby', nick: 'bob' }),
    msg('/kick #dev bob go away', { type: 'kick', room: '#dev', nick: 'bob', reason: 'go away' }),
    err('/kick', 'usage: /kick [#room] nick [reason]'),
    err('/kick bob', NEEDS_ROOM, NOWHERE),
    msg('/ban spammer', { type: 'ban', room: '#lobby', mask: 'spammer' }),
    msg('/ban #dev 203.0.113.0/24 2h spam wave', { type: 'ban', room: '#dev', mask: '203.0.113.0/24', duration: 7200, reason: 'spam wave' }),
    msg('/ban spammer flooding', { type: 'ban', room: '#lobby', mask: 'spammer', reason: 'flooding' }),
    err('/ban', 'usage: /ban [#room] nick|address[/bits] [30m|2h|7d] [reason]'),
    msg('/unban #dev spammer', { type: 'unban', room: '#dev', mask: 'spammer' }),
    msg('/bans', { type: 'bans', room: '#lobby' }),
    msg('/mute bob 30m calm down', { type: 'mute', room: '#lobby', mask: 'bob', duration: 1800, reason: 'calm down' }),
    msg('/unmute bob', { type: 'unmute', room: '#lobby', mask: 'bob' }),
    msg('/op #dev fred', { type: 'role', room: '#dev', account: 'fred', role: 'op' }),
    msg('/deop fred', { type: 'role', room: '#lobby', account: 'fred', role: 'none' }),
    msg('/voice fred', { type: 'role', room: '#lobby', account: 'fred', role: 'voice' }),
    msg('/devoice fred', { type: 'role', room: '#lobby', account: 'fred', role: 'none' }),
    err('/op', 'usage: /op [#room] nick'),
    msg('/invite ivan', { type: 'invite', room: '#lobby', nick: 'ivan' }),
    msg('/invite ivan #dev', { type: 'invite', room: '#dev', nick: 'ivan' }),
    msg('/set invite-only on', { type: 'settings', room: '#lobby', inviteOnly: true }),
    msg('/set #dev moderated off', { type: 'settings', room: '#dev', moderated: false }),
    msg('/set key sesame', { type: 'settings', room: '#lobby', key: 'sesame' }),
    msg('/set key off', { type: 'settings', room: '#lobby', key: '' }),
    msg('/set limit 50', { type: 'settings', room: '#lobby', limit: 50 }),
    msg('/set limit off', { type: 'settings', room: '#lobby', limit: 0 }),
    msg('/set topic-ops on', { type: 'settings', room: '#lobby', topicOps: true }),
    err('/set secret maybe', 'usage: /set [#room] invite-only|moderated|secret|topic-ops on|off, key K|off, limit N|off'),
    err('/set colour red', 'usage: /set [#room] invite-only|moderated|secret|topic-ops on|off, key K|off, limit N|off'),
  ];
  it.each(rows)('$input', expectRow);

  it('marks the lines that carry a password, and no other', () => {
    for (const line of ['/register x', '/IDENTIFY x', '/login x', '  /ghost a b', '/password a b', '/drop x']) expect(carriesSecret(line), line).toBe(true);
    for (const line of ['/nick x', 'register me', '//register x', '/help register', '/join #a']) expect(carriesSecret(line), line).toBe(false);
  });
});

describe('parseInput: plain text', () => {
  const rows: Row[] = [
    msg('hello', { type: 'say', room: '#lobby', text: 'hello' }),
    msg('hello', { type: 'say', room: '#lobby', text: 'hello' }, { room: 'lobby' }),
    msg('  indented', { type: 'say', room: '#lobby', text: '  indented' }),
    msg('trailing   \r\n', { type: 'say', room: '#lobby', text: 'trailing' }),
    msg('a /slash inside', { type: 'say', room: '#lobby', text: 'a /slash inside' }),
    msg(' /not a command', { type: 'say', room: '#lobby', text: ' /not a command' }),
    msg('//join is how you type /join', { type: 'say', room: '#lobby', text: '/join is how you type /join' }),
    msg('//', { type: 'say', room: '#lobby', text: '/' }),
    msg('///', { type: 'say', room: '#lobby', text: '//' }),
    msg('😀', { type: 'say', room: '#lobby', text: '😀' }),
    err('hello', NEEDS_ROOM, NOWHERE),
    err('//join', NEEDS_ROOM, NOWHERE),
    err('', 'nothing to send'),
    err('   \t ', 'nothing to send'),
    err('//   ', NEEDS_ROOM, NOWHERE),
    bad('ding\u0007', 'TEXT_INVALID', 'text contains control characters (only \\n and \\t are allowed)'),
    bad('x'.repeat(4001), 'TEXT_INVALID', 'text is longer than 4000 characters'),
  ];
  it.each(rows)('$input', expectRow);
});

describe('/help', () => {
  it('lists every command from the table, then /help, in table order', () => {
    const text = helpText();
    const lines = text.split('\n');
    expect(lines[0]).toBe('Commands:');
    expect(lines.slice(1, -1)).toStrictEqual([
      ...COMMANDS.map((c) => `${c.usage.padEnd(26)} ${c.help}`),
      `${'/help [command]'.padEnd(26)} show this help`,
    ]);
    expect(lines.at(-1)).toBe('Anything else is sent to the current room; start with // to send a leading /.');
  });

  it('starts with exactly these rows', () => {
    expect(helpText().split('\n').slice(1, -1).map((l) => l.split(' ')[0])).toStrictEqual(
      ['/join', '/part', '/msg', '/me', '/nick', '/topic', '/who', '/away', '/back', '/whois', '/rooms', '/history', '/search', '/register', '/identify', '/ghost',
        '/password', '/drop', '/operator', '/kill', '/kick', '/ban', '/unban', '/bans', '/mute', '/unmute', '/op', '/deop', '/voice', '/devoice',
        '/invite', '/set', '/serverban', '/serverunban', '/serverbans', '/quit', '/help'],
    );
  });

  it('is what /help returns', () => {
    expect(parseInput('/help', NOWHERE)).toStrictEqual({ kind: 'help', text: helpText() });
    expect(parseInput('/HELP   ', IN_LOBBY)).toStrictEqual({ kind: 'help', text: helpText() });
  });

  const one: [string, string][] = [
    ['/help join', '/join #room [key]: join a room (created if new) and make it current (also /j)'],
    ['/help /msg', '/msg nick text: send a private message (also /query /m)'],
    ['/help J', '/join #room [key]: join a room (created if new) and make it current (also /j)'],
    ['/help nick', '/nick newname: change your nick'],
    ['/help history', '/history [#room] [count]: show earlier messages (up to 200)'],
    ['/help help', '/help [command]: show this help'],
    ['/help bogus', 'no such command: bogus'],
  ];
  it.each(one)('%s', (input, text) => {
    expect(parseInput(input)).toStrictEqual({ kind: 'help', text });
  });

  it('describes every command and alias it can complete', () => {
    for (const name of COMMAND_NAMES) expect(helpText(name), name).not.toMatch(/^no such command/);
  });

  it('completes exactly these names', () => {
    expect(COMMAND_NAMES).toStrictEqual([
      'away', 'back', 'ban', 'bans', 'deop', 'devoice', 'drop', 'exit', 'ghost', 'help', 'history', 'identify', 'invite', 'j', 'join', 'kick', 'kill',
      'leave', 'list', 'login', 'm', 'me', 'msg', 'mute', 'names', 'nick', 'op', 'operator', 'part', 'password', 'query', 'quit', 'register', 'rooms',
      'search', 'serverban', 'serverbans', 'serverunban', 'set', 'topic', 'unban', 'unmute', 'voice', 'who', 'whois',
    ]);
  });

  it('has every text-mode command issue 2 names', () => {
    for (const name of ['nick', 'join', 'part', 'msg', 'me', 'topic', 'who', 'rooms', 'history', 'quit', 'help']) {
      expect(COMMAND_NAMES).toContain(name);
    }
  });
});
