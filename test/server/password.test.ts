/** Password hashes: scrypt with its parameters in the hash, checked in constant time. */
import { describe, expect, it } from 'vitest';
import { fromDist } from '../helpers/in-process.js';

const { hashPassword, verifyPassword } = await fromDist<typeof import('../../server/accounts/password.js')>('server/accounts/password.js');

describe('password hashes', () => {
  it('carry scheme, cost and a fresh salt; only the password verifies', async () => {
    const [one, two] = await Promise.all([hashPassword('correct horse'), hashPassword('correct horse')]);
    expect(one).toMatch(/^scrypt\$15\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    expect(one).not.toBe(two);
    expect(await verifyPassword('correct horse', one)).toBe(true);
    expect(await verifyPassword('correct horse', two)).toBe(true);
    expect(await verifyPassword('correct horsE', one)).toBe(false);
    expect(await verifyPassword('', one)).toBe(false);
  });

  it('treats canonically equal spellings as one password (NFC)', async () => {
    const hash = await hashPassword('caf\u00e9 au lait');
    expect(await verifyPassword('cafe\u0301 au lait', hash)).toBe(true);
  });

  it('never matches a malformed hash', async () => {
    for (const bad of ['', 'plain', 'bcrypt$10$x$y', 'scrypt$15$8$1$$', 'scrypt$15$8$1$c2FsdA==$']) {
      expect(await verifyPassword('anything', bad), bad).toBe(false);
    }
  });
});
