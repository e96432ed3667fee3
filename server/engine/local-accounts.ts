/**
 * Accounts on a single node: all in memory (read from the registry table at start-up), written through
 * the history writer's thread, so the event loop never touches SQLite. A change is visible here only
 * once it is stored.
 */
import { CommitError, type HistoryWriter } from '../store/history-writer.js';
import { reservedKeys, type Account, type AccountDirectory, type CreateOutcome } from './accounts.js';
import { EngineError } from './engine.js';

const KIND = 'account';

export class LocalAccounts implements AccountDirectory {
  private readonly byFold = new Map<string, Account>();
  /** Skeleton → the folded nick that reserves it. */
  private readonly skeletons = new Map<string, string>();
  /** Folds and skeletons being registered: a look-alike must not pass the check while the first is stored. */
  private readonly pending = new Set<string>();

  constructor(
    private readonly writer: HistoryWriter,
    stored: Map<string, string>,
  ) {
    for (const json of stored.values()) this.remember(JSON.parse(json) as Account);
  }

  async get(fold: string): Promise<Account | null> {
    return this.byFold.get(fold) ?? null;
  }

  async collision(nick: string): Promise<string | null> {
    const { fold, skeletons } = reservedKeys(nick);
    const same = this.byFold.get(fold);
    if (same) return same.name;
    for (const s of skeletons) {
      const owner = this.skeletons.get(s);
      if (owner !== undefined) return this.byFold.get(owner)?.name ?? owner;
    }
    return null;
  }

  async create(account: Account): Promise<CreateOutcome> {
    const { fold, skeletons } = reservedKeys(account.name);
    const keys = [fold, ...skeletons];
    const taken = (await this.collision(account.name)) ?? (keys.some((k) => this.pending.has(k)) ? account.name : null);
    if (taken !== null) return { ok: false, taken };
    for (const k of keys) this.pending.add(k);
    try {
      await this.store(fold, account);
    } finally {
      for (const k of keys) this.pending.delete(k);
    }
    this.remember(account);
    return { ok: true };
  }

  async update(account: Account): Promise<boolean> {
    const { fold } = reservedKeys(account.name);
    if (!this.byFold.has(fold)) return false;
    await this.store(fold, account);
    if (!this.byFold.has(fold)) return false;
    this.byFold.set(fold, account);
    return true;
  }

  async drop(name: string): Promise<void> {
    const { fold, skeletons } = reservedKeys(name);
    await this.store(fold, null);
    this.byFold.delete(fold);
    for (const s of skeletons) if (this.skeletons.get(s) === fold) this.skeletons.delete(s);
  }

  private store(fold: string, account: Account | null): Promise<void> {
    return storeRecord(this.writer, KIND, fold, account, 'the account');
  }

  private remember(account: Account): void {
    const { fold, skeletons } = reservedKeys(account.name);
    this.byFold.set(fold, account);
    // A skeleton already reserved by an older account stays with it.
    for (const s of skeletons) if (!this.skeletons.has(s)) this.skeletons.set(s, fold);
  }
}

export const ACCOUNT_KIND = KIND;

/**
 * Stores (or, for null, deletes) one registry record through the writer thread; a failed commit is an
 * EngineError saying `what` could not be stored.
 */
export async function storeRecord(writer: HistoryWriter, kind: string, key: string, value: object | null, what: string): Promise<void> {
  try {
    await writer.saveState([[kind, key, value && JSON.stringify(value)]]);
  } catch (err) {
    throw err instanceof CommitError ? new EngineError(`${what} could not be stored: ${err.message}`) : err;
  }
}
