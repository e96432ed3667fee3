/**
 * The checks every account command shares: whether a nick may be taken by this session, and a password
 * check that is throttled per address and per account and never runs on the event loop.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ErrorCode, ProtocolFault } from '../../shared/errors.js';
import { PASSWORD_MIN } from '../../shared/limits.js';
import { caseFold } from '../../shared/validate.js';
import type { Account } from '../engine/accounts.js';
import type { Hub } from '../hub.js';
import type { Session } from '../session.js';
import { hashPassword, KdfBusy, verifyPassword } from './password.js';

/** The host address of `1.2.3.4:5678` or `::1:5678`. */
export function addressOf(remote: string): string {
  const colon = remote.lastIndexOf(':');
  return colon < 0 ? remote : remote.slice(0, colon);
}

/**
 * Refuses a nick that is registered to another account (NICK_REGISTERED) or looks like one
 * (NICK_TAKEN); a session logged in to that account may take it.
 */
export async function guardNick(hub: Hub, session: Session, nick: string): Promise<void> {
  const registered = await hub.engine.accounts.collision(nick);
  if (registered === null) return;
  if (session.account !== null && caseFold(session.account) === caseFold(registered)) return;
  if (caseFold(registered) === caseFold(nick)) {
    throw new ProtocolFault(ErrorCode.NICK_REGISTERED, `${nick} is registered: give its password to use it`);
  }
  throw new ProtocolFault(ErrorCode.NICK_TAKEN, `${nick} looks like the registered nick ${registered}; choose another`);
}

/** A hash no password matches, checked when there is no account so both answers take as long. */
let decoy: Promise<string> | null = null;

/**
 * The account `fold` if `password` is its password; LOGIN_FAILED otherwise (no account, or a wrong
 * password, told apart only in the message), RATE_LIMITED when this address or account tried too often.
 */
export async function checkPassword(hub: Hub, session: Session, fold: string, password: string): Promise<Account> {
  const wait = hub.logins.attempt(addressOf(session.peer.remote), fold);
  if (wait !== null) {
    throw new ProtocolFault(ErrorCode.RATE_LIMITED, `too many login attempts; try again in ${Math.ceil(wait / 1000)} s`);
  }
  const account = await hub.engine.accounts.get(fold);
  // With no account a decoy hash is checked, so the answer takes as long either way.
  const matches = await kdf(async () => verifyPassword(password, account?.hash ?? (await decoyHash())));
  if (account && matches) return account;
  hub.logins.failed(fold);
  throw new ProtocolFault(ErrorCode.LOGIN_FAILED, account ? 'wrong password' : `no account is registered as ${fold}`);
}

function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(16).toString('hex')).catch((err: unknown) => {
    decoy = null;
    throw err;
  });
  return decoy;
}

async function kdf<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof KdfBusy) throw new ProtocolFault(ErrorCode.RATE_LIMITED, err.message);
    throw err;
  }
}

/** The hash of a new password, or PASSWORD_WEAK when it is too short. */
export async function newPasswordHash(password: string): Promise<string> {
  if ([...password].length < PASSWORD_MIN) {
    throw new ProtocolFault(ErrorCode.PASSWORD_WEAK, `a password must be at least ${PASSWORD_MIN} characters`);
  }
  return kdf(() => hashPassword(password));
}

/** Whether `given` is the server's --password, compared in constant time (of digests, so lengths differ freely). */
export function isServerPassword(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
