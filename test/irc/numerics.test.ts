/**
 * server/irc/numerics.ts: the table has every numeric the listener needs, once; replies format to the
 * lines clients expect; every way parseMessage refuses a line has an answer that fits a line.
 */
import assert from 'node:assert/strict';
import { describe, expect, it } from 'vitest';
import { BODY_MAX_BYTES, formatMessage, parseLine, parseMessage, type IrcMessage, type ParseError } from '../../server/irc/message.js';
import {
  NUMERICS, STANDARD_REPLY_CODES, UNREGISTERED_TARGET, numeric, parseErrorReply, standardReply, type NumericName,
} from '../../server/irc/numerics.js';

function line(message: IrcMessage | null): string | null {
  if (message === null) return null;
  const r = formatMessage(message);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

function refused(raw: string | Buffer): ParseError {
  const r = typeof raw === 'string' ? parseMessage(raw) : parseLine(raw);
  assert.ok(!r.ok, 'line was accepted');
  return r.error;
}

describe('NUMERICS', () => {
  const codes = Object.values(NUMERICS).map((n) => n.code);

  it('has each code once, three digits each', () => {
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^\d{3}$/);
  });

  it('has every numeric the listener uses', () => {
    const needed = [
      '001', '002', '003', '004', '005', '221', '251', '252', '253', '254', '255', '265', '266', '301', '305', '306',
      '311', '312', '313', '314', '315', '317', '318', '319', '321', '322', '323', '324', '329', '331', '332', '333',
      '341', '352', '353', '366', '367', '368', '372', '375', '376', '381', '401', '403', '404', '405', '411', '412',
      '417', '421', '422', '431', '432', '433', '436', '441', '442', '443', '451', '461', '462', '464', '465', '471',
      '473', '474', '475', '476', '481', '482', '900', '901', '902', '903', '904', '905', '906', '907', '908',
    ];
    expect(codes).toEqual(expect.arrayContaining(needed));
  });

  it('names replies RPL_ and errors ERR_', () => {
    for (const [name, { code }] of Object.entries(NUMERICS)) {
      const isError = (code >= '400' && code < '600') || ['902', '904', '905', '906', '907'].includes(code);
      expect(name.startsWith(isError ? 'ERR_' : 'RPL_'), `${name} ${code}`).toBe(true);
    }
  });

  it('formats every numeric with a nick and a parameter', () => {
    for (const name of Object.keys(NUMERICS) as NumericName[]) {
      expect(line(numeric('irc.example', 'alice', name, 'x'))).toMatch(new RegExp(`^:irc\\.example ${NUMERICS[name].code} alice x`));
    }
  });
});

describe('numeric', () => {
  it.each<[string, IrcMessage, string]>([
    ['a fixed text last', numeric('srv', 'bob', 'ERR_NOSUCHNICK', 'alice'), ':srv 401 bob alice :No such nick/channel'],
    ['no text when the caller gives it', numeric('srv', 'bob', 'RPL_WELCOME', 'Welcome to chat, bob'), ':srv 001 bob :Welcome to chat, bob'],
    ['* before registration', numeric('srv', null, 'ERR_NOTREGISTERED'), ':srv 451 * :You have not registered'],
    ['topic', numeric('srv', 'bob', 'RPL_TOPIC', '#lobby', 'hello all'), ':srv 332 bob #lobby :hello all'],
    ['names', numeric('srv', 'bob', 'RPL_NAMREPLY', '=', '#lobby', '@alice +bob carol'), ':srv 353 bob = #lobby :@alice +bob carol'],
    ['end of names', numeric('srv', 'bob', 'RPL_ENDOFNAMES', '#lobby'), ':srv 366 bob #lobby :End of /NAMES list'],
    ['list start', numeric('srv', 'bob', 'RPL_LISTSTART', 'Channel'), ':srv 321 bob Channel :Users  Name'],
    ['need more params', numeric('srv', 'bob', 'ERR_NEEDMOREPARAMS', 'JOIN'), ':srv 461 bob JOIN :Not enough parameters'],
    ['SASL mechanisms', numeric('srv', 'bob', 'RPL_SASLMECHS', 'PLAIN'), ':srv 908 bob PLAIN :are available SASL mechanisms'],
    ['no recipient', numeric('srv', 'bob', 'ERR_NORECIPIENT', 'No recipient given (PRIVMSG)'), ':srv 411 bob :No recipient given (PRIVMSG)'],
  ])('%s', (_name, message, expected) => {
    expect(line(message)).toBe(expected);
  });

  it('uses * as the target before registration', () => expect(UNREGISTERED_TARGET).toBe('*'));
});

describe('standardReply', () => {
  it('builds FAIL, WARN and NOTE with context', () => {
    expect(line(standardReply('srv', 'FAIL', 'CHATHISTORY', 'INVALID_TARGET', ['LATEST', '#nope'], 'No such room')))
      .toBe(':srv FAIL CHATHISTORY INVALID_TARGET LATEST #nope :No such room');
    expect(line(standardReply('srv', 'WARN', null, 'ACCOUNT_REQUIRED', [], 'Log in to speak here')))
      .toBe(':srv WARN * ACCOUNT_REQUIRED :Log in to speak here');
    expect(line(standardReply('srv', 'NOTE', 'PRIVMSG', 'INVALID_UTF8', [], 'x'))).toBe(':srv NOTE PRIVMSG INVALID_UTF8 x');
  });

  it('has each code under its own name', () => {
    for (const [name, code] of Object.entries(STANDARD_REPLY_CODES)) expect(code).toBe(name);
  });
});

describe('parseErrorReply', () => {
  it.each<[string, string | Buffer, string | null]>([
    ['an empty line is ignored', '', null],
    ['a line of spaces is ignored', '   ', null],
    ['an over-long line gets 417', `PRIVMSG #a :${'x'.repeat(600)}`, ':srv 417 bob :Input line was too long'],
    ['a tag flood gets 417', `@a=${'x'.repeat(5000)} PING`, ':srv 417 bob :Input line was too long'],
    ['tags with no command get 421 *', '@a=b', ':srv 421 bob * :Unknown command'],
    ['a source with no command gets 421 *', ':me', ':srv 421 bob * :Unknown command'],
    ['a bad command gets 421 naming it', 'PRIV$MSG #a :x', ':srv 421 bob PRIV$MSG :Unknown command'],
    ['invalid UTF-8 gets FAIL naming the command', Buffer.from([0x50, 0x49, 0x4e, 0x47, 0x20, 0xff]), ':srv FAIL PING INVALID_UTF8 :Message rejected for containing invalid UTF-8'],
    ['invalid UTF-8 with no command gets FAIL *', Buffer.from([0xff]), ':srv FAIL * INVALID_UTF8 :Message rejected for containing invalid UTF-8'],
    ['NUL gets FAIL naming the command', 'PRIVMSG #a :a\0b', ':srv FAIL PRIVMSG INVALID_MESSAGE :Message rejected for containing NUL, CR or LF'],
    ['a bare CR with no readable command gets FAIL *', 'PI\rNG', ':srv FAIL * INVALID_MESSAGE :Message rejected for containing NUL, CR or LF'],
  ])('%s', (_name, raw, expected) => {
    expect(line(parseErrorReply('srv', 'bob', refused(raw)))).toBe(expected);
  });

  it('names a long bad command by its first 32 code points, so the 421 fits its line', () => {
    const verb = `${'😀'.repeat(100)}x`;
    const error = refused(`${verb} y`);
    expect(error.reason).toBe('bad-verb');
    const reply = line(parseErrorReply('srv', 'bob', error))!;
    expect(reply).toBe(`:srv 421 bob ${'😀'.repeat(32)} :Unknown command`);
    const longest = refused('A$'.repeat(BODY_MAX_BYTES / 2));
    expect(Buffer.byteLength(line(parseErrorReply('srv', 'bob', longest))!)).toBeLessThanOrEqual(BODY_MAX_BYTES);
  });

  it('addresses * before registration', () => {
    expect(line(parseErrorReply('srv', null, refused('@a=b')))).toBe(':srv 421 * * :Unknown command');
  });
});
