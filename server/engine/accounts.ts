/**
 * Registered nicks (accounts), as every engine stores them: the SQLite registry on one node, Redis in a
 * cluster. A nick is registered under its case fold; its skeletons (shared/skeleton.ts) are reserved
 * with it, so a look-alike nick is refused like the nick itself.
 */
import { caseFold } from '../../shared/validate.js';
import { nickSkeletons } from '../../shared/skeleton.js';

export interface Account {
  /** The nick as it was registered. */
  name: string;
  /** The password's scrypt hash (server/accounts/password.ts); never sent or logged. */
  hash: string;
  email?: string;
  /** When it was registered (ms since the epoch). */
  created: number;
  /** Made a server operator by another (those named in --operators are operators anyway). */
  operator?: true;
}

/** `taken`: the registered nick the new one is, or looks like. */
export type CreateOutcome = { ok: true } | { ok: false; taken: string };

export interface AccountDirectory {
  /** The account of a folded nick, or null. */
  get(fold: string): Promise<Account | null>;
  /**
   * The registered nick that `nick` is (by case) or looks like (by skeleton), or null. A guest may
   * only take a nick this answers null for.
   */
  collision(nick: string): Promise<string | null>;
  /** Registers `account.name` unless it, or a look-alike, is registered already. */
  create(account: Account): Promise<CreateOutcome>;
  /** Replaces an existing account's record (a new password); false when it is gone. */
  update(account: Account): Promise<boolean>;
  /** Deletes the account and frees its nick and skeletons. */
  drop(name: string): Promise<void>;
}

/** What an account reserves: its folded nick and its skeletons. */
export function reservedKeys(name: string): { fold: string; skeletons: string[] } {
  return { fold: caseFold(name), skeletons: nickSkeletons(name) };
}
