import { describe, expect, it } from 'vitest';
import { kickReason, kickWords } from '../../shared/kick-reason.js';

describe('kick reasons', () => {
  it('reads the operator’s words back out of the reason members are told', () => {
    expect(kickReason('bob', 'spam: again')).toBe('kicked by bob: spam: again');
    expect(kickWords(kickReason('bob', 'spam: again'), 'bob')).toBe('spam: again');
    expect(kickWords(kickReason('bob', undefined), 'bob')).toBeNull();
    expect(kickWords(kickReason('bob', ''), 'bob')).toBeNull();
  });

  it('finds no words in a reason that is not that operator’s kick', () => {
    expect(kickWords(undefined, 'bob')).toBeNull();
    expect(kickWords('banned: spam', 'bob')).toBeNull();
    expect(kickWords('kicked by bobby: x', 'bob')).toBeNull();
  });
});
