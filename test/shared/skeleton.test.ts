/** Nick skeletons: the look-alike rule of registered nicks (Unicode TR39 rows for the nick alphabet). */
import { describe, expect, it } from 'vitest';
import { nickSkeletons } from '../../shared/skeleton.js';

const shareSkeleton = (a: string, b: string) => nickSkeletons(a).some((s) => nickSkeletons(b).includes(s));

describe('nickSkeletons', () => {
  it.each([
    ['Alice', 'AIice'], // capital I reads as l
    ['Alice', 'A1ice'], // 1 reads as l
    ['Alice', 'a|ice'], // | reads as l
    ['Bob0', 'BobO'], // 0 reads as O
    ['Mike', 'rnike'], // rn reads as m
    ['mike', 'rnike'],
    ['alice', 'ALICE'], // case alone
  ])('%s and %s look alike', (a, b) => {
    expect(shareSkeleton(a, b)).toBe(true);
  });

  it.each([
    ['Alice', 'Alicia'],
    ['aiice', 'alice'], // a lowercase i does not read as l
    ['Bob', 'Rob'],
    ['mike', 'nike'],
  ])('%s and %s do not', (a, b) => {
    expect(shareSkeleton(a, b)).toBe(false);
  });

  it('is folded to lowercase, and says each skeleton once', () => {
    expect(nickSkeletons('ALICE')).toEqual(['allce', 'alice']);
    expect(nickSkeletons('bob')).toEqual(['bob']);
  });
});
