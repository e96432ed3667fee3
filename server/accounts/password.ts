/**
 * Password hashing with scrypt (node:crypto), memory-hard and run on libuv's thread pool, so the event
 * loop never computes a hash. At most KDF_CONCURRENCY hashes run at once and KDF_QUEUE wait: a burst of
 * logins queues briefly and then is refused, instead of filling the thread pool that file and DNS work
 * share.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** N = 2^15, r = 8, p = 1: 32 MiB and tens of milliseconds per hash. */
const COST_LOG2 = 15;
const BLOCK_SIZE = 8;
const PARALLEL = 1;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
const KDF_CONCURRENCY = 2;
const KDF_QUEUE = 64;

/** Too many hashes are waiting: the caller is told to try again. */
export class KdfBusy extends Error {}

let running = 0;
const waiting: Array<() => void> = [];

async function derive(password: string, salt: Buffer, options: ScryptOptions & { N: number; r: number; p: number }): Promise<Buffer> {
  if (running >= KDF_CONCURRENCY) {
    if (waiting.length >= KDF_QUEUE) throw new KdfBusy('the server is busy checking passwords; try again shortly');
    await new Promise<void>((resolve) => waiting.push(resolve));
  }
  running++;
  try {
    // maxmem: scrypt needs 128·N·r bytes, above Node's 32 MiB default at these settings.
    return await new Promise<Buffer>((resolve, reject) => {
      scrypt(password.normalize('NFC'), salt, KEY_BYTES, { ...options, maxmem: 256 * options.N * options.r }, (err, key) => (err ? reject(err) : resolve(key)));
    });
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** `scrypt$<log2 N>$<r>$<p>$<salt>$<key>`, base64: the parameters travel with the hash, so they can grow. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, { N: 2 ** COST_LOG2, r: BLOCK_SIZE, p: PARALLEL });
  return ['scrypt', COST_LOG2, BLOCK_SIZE, PARALLEL, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Whether `password` matches `hash`, compared in constant time. A malformed hash never matches. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const [scheme, log2, r, p, salt, key] = hash.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), { N: 2 ** Number(log2), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
