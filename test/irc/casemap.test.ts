/**
 * server/irc/casemap.ts: the casemapping we advertise folds every name exactly as caseFold does, and
 * channel names map to room names and back.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CASEMAPPING, CHANTYPES, asciiFold, channelFromRoom, isChannelName, roomFromChannel } from '../../server/irc/casemap.js';
import { ROOM_NAME_MAX } from '../../shared/limits.js';
import { caseFold, isValidNick, normalizeRoom } from '../../shared/validate.js';
import { nickArb, roomArb, runs } from '../helpers/arbitraries.js';

describe('CASEMAPPING', () => {
  it('is ascii', () => {
    expect(CASEMAPPING).toBe('ascii');
    expect(asciiFold('ABC[]\\^xyz{}|~É')).toBe('abc[]\\^xyz{}|~É');
  });

  it('folds every valid nick and room exactly as caseFold does', () => {
    fc.assert(fc.property(nickArb, (nick) => assert.equal(asciiFold(nick), caseFold(nick))), { numRuns: runs(3_000) });
    fc.assert(fc.property(roomArb, (room) => assert.equal(asciiFold(room), caseFold(room))), { numRuns: runs(3_000) });
  });

  it('is not rfc1459: [ and { make different nicks on our server', () => {
    expect(isValidNick('a[') && isValidNick('a{')).toBe(true);
    expect(caseFold('a[')).not.toBe(caseFold('a{'));
    expect(caseFold('a\\')).not.toBe(caseFold('a|'));
    expect(caseFold('a^')).not.toBe(caseFold('a~'));
  });
});

describe('channel names', () => {
  it('are the names starting with #', () => {
    expect(CHANTYPES).toBe('#');
    expect(isChannelName('#lobby')).toBe(true);
    expect(isChannelName('lobby')).toBe(false);
    expect(isChannelName('&local')).toBe(false);
  });

  it.each([
    ['#lobby', '#lobby'],
    ['#Dev-Ops_2', '#Dev-Ops_2'],
    [`#${'a'.repeat(ROOM_NAME_MAX)}`, `#${'a'.repeat(ROOM_NAME_MAX)}`],
  ])('%j is the room %j', (channel, room) => {
    expect(roomFromChannel(channel)).toBe(room);
  });

  it.each([
    ['a name without #, which is a nick on IRC', 'lobby'],
    ['a bare #', '#'],
    ['a double #', '##lobby'],
    ['a name too long', `#${'a'.repeat(ROOM_NAME_MAX + 1)}`],
    ['a dot', '#a.b'],
    ['a comma', '#a,b'],
    ['non-ASCII', '#föö'],
    ['a & channel', '&local'],
    ['a + channel', '+modeless'],
    ['an empty name', ''],
  ])('%s is no room', (_name, channel) => {
    expect(roomFromChannel(channel)).toBeNull();
  });

  it('maps every room to a channel that maps back to it', () => {
    fc.assert(fc.property(roomArb, (name) => {
      const room = normalizeRoom(name)!;
      assert.equal(roomFromChannel(channelFromRoom(room)), room);
      assert.ok(isChannelName(channelFromRoom(room)));
    }), { numRuns: runs(2_000) });
  });
});
