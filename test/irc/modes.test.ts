/** MODE strings read into changes: which modes take a parameter, and when. */
import { describe, expect, it } from 'vitest';
import { readModes } from '../../server/irc/irc-commands.js';

describe('readModes', () => {
  it('gives parameters to o, v, b, k and +l, in order', () => {
    expect(readModes('+ov-b', ['ann', 'bob', 'spam*'])).toEqual([
      { add: true, mode: 'o', param: 'ann' },
      { add: true, mode: 'v', param: 'bob' },
      { add: false, mode: 'b', param: 'spam*' },
    ]);
    expect(readModes('+kl-l', ['secret', '10'])).toEqual([
      { add: true, mode: 'k', param: 'secret' },
      { add: true, mode: 'l', param: '10' },
      { add: false, mode: 'l' },
    ]);
  });

  it('reads flags without parameters, +b alone as the list, and names an unknown mode', () => {
    expect(readModes('+imst', [])).toEqual(['i', 'm', 's', 't'].map((mode) => ({ add: true, mode })));
    expect(readModes('+b', [])).toEqual([{ add: true, mode: 'b' }]);
    expect(readModes('+o', [])).toEqual([]);
    expect(readModes('+ix', [])).toBe('x');
  });
});
