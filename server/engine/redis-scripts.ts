/**
 * The Lua scripts of the cluster engine and the keys they use. Redis runs a script atomically, so each
 * one is a single step of the cluster's shared state.
 *
 * Two rules hold for every script that adds something:
 * - Fencing: it first checks the caller's node lease and answers `FENCED` without writing when it is
 *   gone, so a node paused past its lease cannot append, claim, join or set a topic.
 * - Idempotence: ioredis resends the commands in flight when a connection drops, so a script may run
 *   twice for one call. Appends carry a per-node batch number (`b:<node>` in each room's meta), joins and
 *   topics a nonce, renames and claims compare the state they would set.
 * Scripts that only take back what a node holds (release, part, reap) need no lease: a zombie can only
 * remove its own entries, which the reaper would remove anyway.
 *
 * Bus entries always start with `k <kind> r <room key> q <entry number>` so a node can skip rooms it
 * does not serve before parsing anything, and notice entries it missed. Keys of several rooms in one script are fine on one Redis primary, not on
 * Redis Cluster (a deliberate limit, see docs/cluster.md).
 */
import type { Redis } from 'ioredis';

export const BUS = 'chat:bus';
/** The number of the last bus entry (see BUS_ADD). */
export const BUS_SEQ = 'chat:bus:seq';
export const ROOMS = 'chat:rooms';
export const NODES = 'chat:nodes';
export const roomLog = (key: string) => `chat:{r:${key}}:log`;
export const roomMeta = (key: string) => `chat:{r:${key}}:meta`;
export const roomMembers = (key: string) => `chat:{r:${key}}:members`;
/** The room's moderation state (JSON); its meta field `hidden` is 1 while it is secret. */
export const roomPolicy = (key: string) => `chat:{r:${key}}:policy`;
export const nickKey = (fold: string) => `chat:nick:${fold}`;
export const leaseKey = (node: string) => `chat:node:${node}`;
export const nodeNicks = (node: string) => `chat:node:${node}:nicks`;
/** Hash room key → how many of the node's members are in it. */
export const nodeRooms = (node: string) => `chat:node:${node}:rooms`;
/** Hash sid → away text, of the node's users who are away. */
export const nodeAway = (node: string) => `chat:node:${node}:away`;
/** Hash sid → account, of the node's users who are logged in. */
export const nodeAccounts = (node: string) => `chat:node:${node}:accounts`;
/** Set once anyone acted on the node's lease being gone: it may never take that lease again. */
export const deadMarker = (node: string) => `chat:node:${node}:dead`;
export const dmChannel = (node: string) => `chat:dm:${node}`;

/** How long a dead node's marker is kept (it only has to outlive any pause of that process). */
export const DEAD_MARKER_MS = 24 * 3600 * 1000;

// Shared Lua fragments.
const FENCE = `if redis.call('EXISTS', KEYS[LEASE]) == 0 then return redis.error_reply('FENCED lease lost') end`;
const NOW_MS = `local now = redis.call('TIME'); now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)`;
const HOLDER = `local function holder(v) return string.sub(v, 1, string.find(v, '|', 1, true) - 1) end`;
/**
 * Adds a bus entry `k <kind> r <room> q <n> …`: q numbers the bus entries 1, 2, 3… (chat:bus:seq), so a
 * reader sees at once when entries it had not read were trimmed away.
 */
const BUS_ADD = `
local function bus(key, maxlen, kind, room, ...)
  local q = redis.call('INCR', key .. ':seq')
  return redis.call('XADD', key, 'MAXLEN', '~', maxlen, '*', 'k', kind, 'r', room, 'q', q, ...)
end`;
/** Count a member in or out of the room directory and of its node's rooms (entries at 0 go). */
const COUNTS = `
local function count(zkey, hkey, room, by)
  if redis.call('ZINCRBY', zkey, by, room) + 0 <= 0 then redis.call('ZREM', zkey, room) end
  if redis.call('HINCRBY', hkey, room, by) <= 0 then redis.call('HDEL', hkey, room) end
end`;

function fence(leaseIndex: number): string {
  return FENCE.replace('LEASE', String(leaseIndex));
}

/**
 * One node's batch over any rooms, atomically. Seqs come from HINCRBY of meta `seq`; each message goes
 * to the room log with id `<seq>-0` and to the bus. ts is Redis TIME, never below the room's last ts.
 * A batch number not above the one recorded for this node in a room is a resend: nothing is appended.
 * KEYS: bus, lease, then per room meta, log. ARGV: node, batch, bus maxlen, log maxlen ('0' = all),
 * then per room: room key, n, n payloads. Returns { ts, first seq per room (0 for a resend) }.
 */
const APPEND = `${fence(2)}
${BUS_ADD}
${NOW_MS}
local batch, field = tonumber(ARGV[2]), 'b:' .. ARGV[1]
local out = { now }
local a = 5
for k = 3, #KEYS, 2 do
  local meta, log, room, n = KEYS[k], KEYS[k + 1], ARGV[a], tonumber(ARGV[a + 1])
  a = a + 2
  local prev = redis.call('HGET', meta, field)
  local sep = prev and string.find(prev, '|', 1, true)
  if prev and tonumber(string.sub(prev, 1, sep - 1)) >= batch then
    out[#out + 1] = 0
  else
    local ts = math.max(now, tonumber(redis.call('HGET', meta, 'ts') or '0'))
    local first = redis.call('HINCRBY', meta, 'seq', n) - n + 1
    for i = 0, n - 1 do
      local seq = tostring(first + i)
      if ARGV[4] == '0' then
        redis.call('XADD', log, seq, 'm', ARGV[a + i], 't', ts)
      else
        redis.call('XADD', log, 'MAXLEN', '~', ARGV[4], seq, 'm', ARGV[a + i], 't', ts)
      end
      bus(KEYS[1], ARGV[3], 'msg', room, 's', seq, 'm', ARGV[a + i], 't', ts)
    end
    redis.call('HSET', meta, field, ARGV[2] .. '|' .. first, 'ts', ts)
    out[#out + 1] = first
  end
  a = a + n
end
return out`;

/**
 * Claims a nick unless a live node holds it (a holder whose lease is gone is marked dead: it can never
 * come back under that id). The same session re-claiming (a resend, or a case change) succeeds.
 * KEYS: nick, node nicks, lease. ARGV: owner `<node>|<sid>|<nick>`, fold, dead marker ms. Returns 1 or 0.
 */
const CLAIM = `${fence(3)}
${HOLDER}
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then
  local sidEnd = string.find(ARGV[1], '|', #holder(ARGV[1]) + 2, true)
  if string.sub(cur, 1, sidEnd) ~= string.sub(ARGV[1], 1, sidEnd) then
    local h = holder(cur)
    if redis.call('EXISTS', 'chat:node:' .. h) == 1 then return 0 end
    redis.call('SET', 'chat:node:' .. h .. ':dead', '1', 'PX', ARGV[3])
    redis.call('SREM', 'chat:node:' .. h .. ':nicks', ARGV[2])
  end
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
return 1`;

/** Frees a nick held by exactly this owner. KEYS: nick, node nicks. ARGV: owner, fold. Returns 1 or 0. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[2])
  return 1
end
return 0`;

/**
 * Adds a member and puts `join` (with the room's seq now: the joiner's history ends there, its away
 * text and its account) on the bus. A resend (same member, same nonce) adds nothing; a repeated join with a new nonce
 * emits the event again. A different entry under the same nick is a member of a dead node not yet
 * reaped: it leaves. KEYS: members, meta, node rooms, bus, rooms, lease. ARGV: room key, fold, member,
 * bus maxlen, name, nonce, away ('' when not away), account ('' for a guest). Returns { seq, 1 if an event was added }.
 */
const JOIN = `${fence(6)}
${BUS_ADD}
${COUNTS}
local seq = tonumber(redis.call('HGET', KEYS[2], 'seq') or '0')
local nf = 'j:' .. ARGV[2]
local cur = redis.call('HGET', KEYS[1], ARGV[2])
if cur == ARGV[3] and redis.call('HGET', KEYS[2], nf) == ARGV[6] then return { seq, 0 } end
redis.call('HSETNX', KEYS[2], 'name', ARGV[5])
local name = redis.call('HGET', KEYS[2], 'name')
${NOW_MS}
if cur ~= ARGV[3] then
  if cur then
    local h = string.sub(cur, 1, string.find(cur, '|', 1, true) - 1)
    count(KEYS[5], 'chat:node:' .. h .. ':rooms', ARGV[1], -1)
    bus(KEYS[4], ARGV[4], 'part', ARGV[1], 'rn', name, 'n', cur, 'why', 'connection closed', 'q', '1')
  end
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
  count(KEYS[5], KEYS[3], ARGV[1], 1)
end
redis.call('HSET', KEYS[2], nf, ARGV[6])
bus(KEYS[4], ARGV[4], 'join', ARGV[1], 'rn', name, 'n', ARGV[3], 's', seq, 't', now, 'a', ARGV[7] or '', 'ac', ARGV[8] or '')
return { seq, 1 }`;

/**
 * Removes exactly this member and puts `part` on the bus; nothing when it is not (or no longer) there.
 * KEYS: members, meta, member's node rooms, bus, rooms. ARGV: room key, fold, member, bus maxlen,
 * reason ('' for none), name, quit ('1': the member left the server), by (the kicking operator, '' for
 * none). Returns 1 or 0.
 */
const PART = `${COUNTS}
${BUS_ADD}
if redis.call('HGET', KEYS[1], ARGV[2]) ~= ARGV[3] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[2])
redis.call('HDEL', KEYS[2], 'j:' .. ARGV[2])
count(KEYS[5], KEYS[3], ARGV[1], -1)
local name = redis.call('HGET', KEYS[2], 'name') or ARGV[6]
bus(KEYS[4], ARGV[4], 'part', ARGV[1], 'rn', name, 'n', ARGV[3], 'why', ARGV[5], 'q', ARGV[7], 'by', ARGV[8] or '')
return 1`;

/**
 * Sets a room's topic and puts `topic` on the bus; a resend (same nonce) does nothing.
 * KEYS: meta, bus, lease. ARGV: room key, topic, by, bus maxlen, name, nonce. Returns 1 or 0.
 */
const TOPIC = `${fence(3)}
${BUS_ADD}
if redis.call('HGET', KEYS[1], 'tn') == ARGV[6] then return 0 end
redis.call('HSETNX', KEYS[1], 'name', ARGV[5])
local name = redis.call('HGET', KEYS[1], 'name')
${NOW_MS}
redis.call('HSET', KEYS[1], 'topic', ARGV[2], 'topic_by', ARGV[3], 'topic_ts', now, 'tn', ARGV[6])
bus(KEYS[2], ARGV[4], 'topic', ARGV[1], 'rn', name, 'tp', ARGV[2], 'by', ARGV[3], 't', now)
return 1`;

/**
 * Puts one server-wide event (room '') on the bus, such as `kill`.
 * KEYS: bus, lease. ARGV: bus maxlen, kind, then its fields as name, value pairs. Returns 1.
 */
const ANNOUNCE = `${fence(2)}
${BUS_ADD}
bus(KEYS[1], ARGV[1], ARGV[2], '', unpack(ARGV, 3))
return 1`;

/**
 * Stores a room's moderation state if it is still what the caller read (ARGV[3], '' for none), marks
 * the meta `hidden` and puts `policy` on the bus. KEYS: policy, meta, bus. ARGV: room key, name, old,
 * new, hidden (1/0), bus maxlen, notice JSON ('' for none). Returns 1, or 0 when another change got in first.
 */
const POLICY = `${BUS_ADD}
local cur = redis.call('GET', KEYS[1]) or ''
if cur ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[4])
redis.call('HSETNX', KEYS[2], 'name', ARGV[2])
redis.call('HSET', KEYS[2], 'hidden', ARGV[5])
bus(KEYS[3], ARGV[6], 'policy', ARGV[1], 'rn', redis.call('HGET', KEYS[2], 'name'), 'p', ARGV[4], 'a', ARGV[7])
return 1`;

/**
 * Renames a member: claims the new nick (as CLAIM), frees the old one, moves the member entry in each
 * listed room and puts one `nick` event on the bus. Already done (a resend) → 1 without an event.
 * KEYS: new nick, old nick, node nicks, lease, bus, then per room members, meta. ARGV: new owner, old
 * owner, new fold, old fold, bus maxlen, dead marker ms, old nick, room keys as JSON. Returns 1 or 0.
 */
const RENAME = `${fence(4)}
${BUS_ADD}
${HOLDER}
local cur = redis.call('GET', KEYS[1])
local oldFree = ARGV[3] == ARGV[4] or redis.call('GET', KEYS[2]) ~= ARGV[2]
if cur == ARGV[1] and oldFree then return 1 end
if cur and cur ~= ARGV[1] and cur ~= ARGV[2] then
  local h = holder(cur)
  if redis.call('EXISTS', 'chat:node:' .. h) == 1 then return 0 end
  redis.call('SET', 'chat:node:' .. h .. ':dead', '1', 'PX', ARGV[6])
  redis.call('SREM', 'chat:node:' .. h .. ':nicks', ARGV[3])
end
if ARGV[3] ~= ARGV[4] and redis.call('GET', KEYS[2]) == ARGV[2] then
  redis.call('DEL', KEYS[2])
  redis.call('SREM', KEYS[3], ARGV[4])
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[3])
local rooms = cjson.decode(ARGV[8])
for i = 6, #KEYS, 2 do
  local members, meta = KEYS[i], KEYS[i + 1]
  if redis.call('HGET', members, ARGV[4]) == ARGV[2] then
    local stale = ARGV[3] ~= ARGV[4] and redis.call('HGET', members, ARGV[3])
    if stale then
      local room = rooms[(i - 4) / 2]
      local h = holder(stale)
      if redis.call('HINCRBY', 'chat:node:' .. h .. ':rooms', room, -1) <= 0 then redis.call('HDEL', 'chat:node:' .. h .. ':rooms', room) end
      redis.call('ZINCRBY', 'chat:rooms', -1, room)
      bus(KEYS[5], ARGV[5], 'part', room, 'rn', redis.call('HGET', meta, 'name') or room, 'n', stale, 'why', 'connection closed', 'q', '1')
    end
    redis.call('HDEL', members, ARGV[4])
    redis.call('HDEL', meta, 'j:' .. ARGV[4])
    redis.call('HSET', members, ARGV[3], ARGV[1])
  end
end
bus(KEYS[5], ARGV[5], 'nick', '', 'n', ARGV[1], 'o', ARGV[7], 'rs', ARGV[8])
return 1`;

/**
 * Heartbeat: extends the lease if it still exists and records its expiry (Redis time) in the nodes set.
 * KEYS: lease, nodes. ARGV: node, lease ms. Returns 1, or 0 when the lease is gone.
 */
const HEARTBEAT = `
${NOW_MS}
if not redis.call('SET', KEYS[1], now, 'PX', ARGV[2], 'XX') then return 0 end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
return 1`;

/**
 * Takes a lease: a new node (`fresh` = '1': must not exist yet), or one re-asserted after a Redis
 * outage, allowed only while nobody has acted on its absence (no dead marker, still in the nodes set).
 * KEYS: lease, dead marker, nodes. ARGV: node, lease ms, fresh. Returns 1 or 0.
 */
const TAKE_LEASE = `
${NOW_MS}
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if ARGV[3] == '1' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
elseif not redis.call('ZSCORE', KEYS[3], ARGV[1]) then
  return 0
end
redis.call('SET', KEYS[1], now, 'PX', ARGV[2])
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), ARGV[1])
return 1`;

/**
 * The nodes whose lease expired (by Redis time) and is gone. KEYS: nodes. Returns node ids.
 */
const EXPIRED_NODES = `
${NOW_MS}
local out = {}
for _, n in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do
  if redis.call('EXISTS', 'chat:node:' .. n) == 0 then out[#out + 1] = n end
end
return out`;

/**
 * Declares a node dead (its lease is gone): from now on it can never take its lease again.
 * KEYS: lease, dead marker. ARGV: marker ms. Returns 1, or 0 when the lease exists.
 */
const DECLARE_DEAD = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
return 1`;

/**
 * Removes a dead node's members from one room, with a `part` ('connection closed') each.
 * KEYS: lease, node rooms, members, bus, rooms, meta. ARGV: node, room key, bus maxlen.
 * Returns how many left, or -1 when the node's lease exists.
 */
const REAP_ROOM = `
${BUS_ADD}
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local removed, prefix = 0, ARGV[1] .. '|'
local name = redis.call('HGET', KEYS[6], 'name') or ARGV[2]
local all = redis.call('HGETALL', KEYS[3])
for i = 1, #all, 2 do
  if string.sub(all[i + 1], 1, #prefix) == prefix then
    redis.call('HDEL', KEYS[3], all[i])
    redis.call('HDEL', KEYS[6], 'j:' .. all[i])
    bus(KEYS[4], ARGV[3], 'part', ARGV[2], 'rn', name, 'n', all[i + 1], 'why', 'connection closed', 'q', '1')
    removed = removed + 1
  end
end
if removed > 0 and redis.call('ZINCRBY', KEYS[5], -removed, ARGV[2]) + 0 <= 0 then redis.call('ZREM', KEYS[5], ARGV[2]) end
redis.call('HDEL', KEYS[6], 'b:' .. ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[2])
return removed`;

/**
 * Frees up to ARGV[2] of a dead node's nicks (those it still holds). KEYS: lease, node nicks.
 * ARGV: node, count. Returns how many were looked at (0: done), -1 when the node's lease exists.
 */
const REAP_NICKS = `
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local prefix = ARGV[1] .. '|'
local folds = redis.call('SPOP', KEYS[2], ARGV[2])
for _, f in ipairs(folds) do
  local key = 'chat:nick:' .. f
  local cur = redis.call('GET', key)
  if cur and string.sub(cur, 1, #prefix) == prefix then redis.call('DEL', key) end
end
return #folds`;

/** Drops a reaped node's bookkeeping. KEYS: lease, node rooms, node nicks, nodes. ARGV: node. */
const FORGET_NODE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
if redis.call('HLEN', KEYS[2]) > 0 or redis.call('SCARD', KEYS[3]) > 0 then return 0 end
redis.call('ZREM', KEYS[4], ARGV[1])
return 1`;

export const SCRIPTS = {
  chatAppend: { lua: APPEND, numberOfKeys: -1 },
  chatClaim: { lua: CLAIM, numberOfKeys: 3 },
  chatRelease: { lua: RELEASE, numberOfKeys: 2 },
  chatJoin: { lua: JOIN, numberOfKeys: 6 },
  chatPart: { lua: PART, numberOfKeys: 5 },
  chatTopic: { lua: TOPIC, numberOfKeys: 3 },
  chatRename: { lua: RENAME, numberOfKeys: -1 },
  chatAnnounce: { lua: ANNOUNCE, numberOfKeys: 2 },
  chatPolicy: { lua: POLICY, numberOfKeys: 3 },
  chatHeartbeat: { lua: HEARTBEAT, numberOfKeys: 2 },
  chatTakeLease: { lua: TAKE_LEASE, numberOfKeys: 3 },
  chatExpiredNodes: { lua: EXPIRED_NODES, numberOfKeys: 1 },
  chatDeclareDead: { lua: DECLARE_DEAD, numberOfKeys: 2 },
  chatReapRoom: { lua: REAP_ROOM, numberOfKeys: 6 },
  chatReapNicks: { lua: REAP_NICKS, numberOfKeys: 2 },
  chatForgetNode: { lua: FORGET_NODE, numberOfKeys: 4 },
} as const;

type Arg = string | number;
type Call<T> = (...args: Arg[]) => Promise<T>;

/** A connection with the scripts defined (calls go out as EVALSHA, falling back to EVAL on NOSCRIPT). */
export type ScriptedRedis = Redis & {
  chatAppend(numKeys: number, ...args: Arg[]): Promise<number[]>;
  chatClaim: Call<number>;
  chatRelease: Call<number>;
  chatJoin: Call<[number, number]>;
  chatPart: Call<number>;
  chatTopic: Call<number>;
  chatRename(numKeys: number, ...args: Arg[]): Promise<number>;
  chatAnnounce: Call<number>;
  chatPolicy: Call<number>;
  chatHeartbeat: Call<number>;
  chatTakeLease: Call<number>;
  chatExpiredNodes: Call<string[]>;
  chatDeclareDead: Call<number>;
  chatReapRoom: Call<number>;
  chatReapNicks: Call<number>;
  chatForgetNode: Call<number>;
};

export function defineScripts(redis: Redis): ScriptedRedis {
  for (const [name, s] of Object.entries(SCRIPTS)) {
    redis.defineCommand(name, s.numberOfKeys >= 0 ? { lua: s.lua, numberOfKeys: s.numberOfKeys } : { lua: s.lua });
  }
  return redis as ScriptedRedis;
}
