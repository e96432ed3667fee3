/**
 * Accounts in a cluster: one Redis string per registered nick (`chat:acct:<fold>`, the account as JSON)
 * and one per skeleton it reserves (`chat:skel:<skeleton>` → fold). Creating and dropping are Lua
 * scripts, so two nodes registering look-alike nicks at once cannot both succeed.
 */
import type { Redis } from 'ioredis';
import { reservedKeys, type Account, type AccountDirectory, type CreateOutcome } from './accounts.js';

const accountKey = (fold: string) => `chat:acct:${fold}`;
const skeletonKey = (skeleton: string) => `chat:skel:${skeleton}`;

/**
 * Registers unless the fold or a skeleton is reserved by another account. A resend of the same
 * registration (ioredis replays commands in flight after a reconnect) succeeds again.
 * KEYS: account, skeletons…. ARGV: fold, account JSON. Returns {1} or {0, the registered name}.
 */
const CREATE = `
local cur = redis.call('GET', KEYS[1])
if cur then
  if cur == ARGV[2] then return {1} end
  return {0, cjson.decode(cur).name}
end
for i = 2, #KEYS do
  local owner = redis.call('GET', KEYS[i])
  if owner and owner ~= ARGV[1] then
    local other = redis.call('GET', 'chat:acct:' .. owner)
    return {0, other and cjson.decode(other).name or owner}
  end
end
redis.call('SET', KEYS[1], ARGV[2])
for i = 2, #KEYS do redis.call('SET', KEYS[i], ARGV[1]) end
return {1}`;

/** Deletes the account and the skeletons it reserves. KEYS: account, skeletons…. ARGV: fold. */
const DROP = `
redis.call('DEL', KEYS[1])
for i = 2, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
end
return 1`;

type Scripted = Redis & {
  chatAccountCreate(numKeys: number, ...args: string[]): Promise<[number, string?]>;
  chatAccountDrop(numKeys: number, ...args: string[]): Promise<number>;
};

export class RedisAccounts implements AccountDirectory {
  private readonly redis: Scripted;

  constructor(redis: Redis) {
    redis.defineCommand('chatAccountCreate', { lua: CREATE });
    redis.defineCommand('chatAccountDrop', { lua: DROP });
    this.redis = redis as Scripted;
  }

  async get(fold: string): Promise<Account | null> {
    const json = await this.redis.get(accountKey(fold));
    return json === null ? null : (JSON.parse(json) as Account);
  }

  async collision(nick: string): Promise<string | null> {
    const { fold, skeletons } = reservedKeys(nick);
    const [account, ...owners] = await this.redis.mget(accountKey(fold), ...skeletons.map(skeletonKey));
    if (account) return (JSON.parse(account) as Account).name;
    const owner = owners.find((o) => o !== null);
    if (!owner) return null;
    return (await this.get(owner))?.name ?? owner;
  }

  async create(account: Account): Promise<CreateOutcome> {
    const { fold, skeletons } = reservedKeys(account.name);
    const keys = [accountKey(fold), ...skeletons.map(skeletonKey)];
    const [won, taken] = await this.redis.chatAccountCreate(keys.length, ...keys, fold, JSON.stringify(account));
    return won === 1 ? { ok: true } : { ok: false, taken: taken ?? account.name };
  }

  async update(account: Account): Promise<boolean> {
    const { fold } = reservedKeys(account.name);
    return (await this.redis.set(accountKey(fold), JSON.stringify(account), 'XX')) === 'OK';
  }

  async drop(name: string): Promise<void> {
    const { fold, skeletons } = reservedKeys(name);
    const keys = [accountKey(fold), ...skeletons.map(skeletonKey)];
    await this.redis.chatAccountDrop(keys.length, ...keys, fold);
  }
}
