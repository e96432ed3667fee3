/**
 * Copies a single node's SQLite history into Redis, in the layout RedisEngine reads (redis-scripts.ts):
 * each message goes to its room's log stream with id `<seq>-0` and fields `m` (the payload of
 * redis-codec.ts) and `t` (its ts), and the room's meta gets `seq` (the last seq, so the cluster
 * continues after it), `ts` (so its next ts is never below) and the topic. Ids, seqs, ts, action flags
 * and senders' accounts are kept. The display name is not stored in SQLite; as on one node, whoever opens the room names it.
 *
 * Re-running is safe: what Redis already holds is compared with SQLite, never added twice, and only the
 * seqs above it are imported. Redis holding other messages at the same seqs (another history, or a
 * cluster that was used before the import) is refused before anything is written.
 */
import type Database from 'better-sqlite3';
import type { Redis } from 'ioredis';
import { encodePayload, fieldsOf, type StreamEntry } from './redis-codec.js';
import { roomLog, roomMeta } from './redis-scripts.js';

/**
 * Appends one chunk of a room's history if the room is still where the importer left it (a live node
 * appending meanwhile would make seqs collide), and moves `seq` and `ts` up to it.
 * KEYS: meta, log. ARGV: expected last seq, max ts of the chunk, then per message seq, payload, ts.
 */
const IMPORT_CHUNK = `
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
local top = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if top[1] then seq = math.max(seq, tonumber(string.match(top[1][1], '^%d+'))) end
if seq ~= tonumber(ARGV[1]) then
  return redis.error_reply('MOVED ' .. KEYS[1] .. ' is at seq ' .. seq .. ', not ' .. ARGV[1] .. ': something else writes this room')
end
for i = 3, #ARGV, 3 do redis.call('XADD', KEYS[2], ARGV[i] .. '-0', 'm', ARGV[i + 1], 't', ARGV[i + 2]) end
redis.call('HSET', KEYS[1], 'seq', ARGV[#ARGV - 2])
if tonumber(ARGV[2]) > tonumber(redis.call('HGET', KEYS[1], 'ts') or '0') then redis.call('HSET', KEYS[1], 'ts', ARGV[2]) end
return 1`;

/** Sets the topic unless the room already has one. KEYS: meta. ARGV: topic, by, ts. Returns 1 or 0. */
const IMPORT_TOPIC = `
if redis.call('HEXISTS', KEYS[1], 'topic') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'topic', ARGV[1], 'topic_by', ARGV[2], 'topic_ts', ARGV[3])
return 1`;

interface ImportCommands {
  chatImportChunk(meta: string, log: string, ...args: Array<string | number>): Promise<number>;
  chatImportTopic(meta: string, topic: string, by: string, ts: number): Promise<number>;
}

export interface RoomImport {
  key: string;
  /** Messages written now, and the seqs they span. */
  imported: number;
  first: number | null;
  last: number | null;
  /** Messages Redis already held, identical to SQLite's. */
  present: number;
  topic: 'set' | 'kept' | 'none';
}

/** Redis holds something the import cannot reconcile; nothing was written. */
export class ImportRefused extends Error {}

interface MessageRow { seq: number; id: string; sender: string; text: string; ts: number; action: number; account: string | null }
interface RoomRow { key: string; last: number }
interface TopicRow { key: string; topic: string; by: string | null; ts: number | null }

/** How many chunks may be on the wire at once. */
const WINDOW = 16;
/** Log entries read back per request when comparing. */
const COMPARE_CHUNK = 1000;

export async function importHistory(db: Database.Database, redis: Redis, chunkSize: number): Promise<RoomImport[]> {
  const commands = defineCommands(redis);
  const rooms = db.prepare('SELECT room_key AS key, MAX(seq) AS last FROM messages GROUP BY room_key ORDER BY room_key').all() as RoomRow[];
  const topics = new Map((db.prepare("SELECT room_key AS key, topic, topic_by AS by, topic_ts AS ts FROM rooms WHERE topic <> ''").all() as TopicRow[])
    .map((t) => [t.key, t]));
  const keys = [...new Set([...rooms.map((r) => r.key), ...topics.keys()])].sort();
  const lastOf = new Map(rooms.map((r) => [r.key, r.last]));
  // A database of a server older than the account column is read as it is (opened read-only): no accounts.
  const hasAccounts = db.prepare("SELECT 1 FROM pragma_table_info('messages') WHERE name = 'account'").get() !== undefined;
  const columns = `seq, id, sender, text, ts, action, ${hasAccounts ? 'account' : 'NULL AS account'}`;
  const one = db.prepare(`SELECT ${columns} FROM messages WHERE room_key = ? AND seq = ?`);
  const between = db.prepare('SELECT COUNT(*) FROM messages WHERE room_key = ? AND seq >= ? AND seq <= ?').pluck();

  // First every room is compared, so that a refusal leaves Redis as it was.
  const plans: Array<{ key: string; from: number; present: number }> = [];
  for (const key of keys) {
    const top = await topSeq(redis, key);
    const present = await compare(redis, key, Math.min(top, lastOf.get(key) ?? 0), {
      row: (seq) => one.get(key, seq) as MessageRow | undefined,
      count: (from, to) => between.get(key, from, to) as number,
    });
    plans.push({ key, from: top, present });
  }

  const rows = db.prepare(`SELECT ${columns} FROM messages WHERE room_key = ? AND seq > ? ORDER BY seq`);
  const out: RoomImport[] = [];
  for (const { key, from, present } of plans) {
    const result: RoomImport = { key, imported: 0, first: null, last: null, present, topic: 'none' };
    let expected = from;
    let chunk: Array<string | number> = [];
    let maxTs = 0;
    const inFlight: Array<Promise<number>> = [];
    const send = async () => {
      const sent = commands.chatImportChunk(roomMeta(key), roomLog(key), expected, maxTs, ...chunk);
      // Awaited in order below; a failure of one not yet awaited must not go unhandled meanwhile.
      sent.catch(() => {});
      inFlight.push(sent);
      expected = Number(chunk[chunk.length - 3]);
      chunk = [];
      maxTs = 0;
      if (inFlight.length >= WINDOW) await inFlight.shift();
    };
    for (const r of rows.iterate(key, from) as IterableIterator<MessageRow>) {
      const payload = encodePayload({
        roomKey: key, room: key, id: r.id, from: r.sender, text: r.text, ...(r.action ? { action: true as const } : {}),
        ...(r.account !== null ? { account: r.account } : {}),
      });
      chunk.push(r.seq, payload, r.ts);
      maxTs = Math.max(maxTs, r.ts);
      result.first ??= r.seq;
      result.last = r.seq;
      result.imported++;
      if (chunk.length >= chunkSize * 3) await send();
    }
    if (chunk.length > 0) await send();
    await Promise.all(inFlight);
    const topic = topics.get(key);
    if (topic) {
      result.topic = (await commands.chatImportTopic(roomMeta(key), topic.topic, topic.by ?? '', topic.ts ?? 0)) === 1 ? 'set' : 'kept';
    }
    out.push(result);
  }
  return out;
}

function defineCommands(redis: Redis): ImportCommands {
  redis.defineCommand('chatImportChunk', { numberOfKeys: 2, lua: IMPORT_CHUNK });
  redis.defineCommand('chatImportTopic', { numberOfKeys: 1, lua: IMPORT_TOPIC });
  return redis as unknown as ImportCommands;
}

/** The room's last seq in Redis: its meta `seq`, or its log's newest entry if that is higher. */
async function topSeq(redis: Redis, key: string): Promise<number> {
  const [seq, top] = await Promise.all([
    redis.hget(roomMeta(key), 'seq'),
    redis.xrevrange(roomLog(key), '+', '-', 'COUNT', 1) as Promise<StreamEntry[]>,
  ]);
  return Math.max(Number(seq ?? 0), top[0] ? Number.parseInt(top[0][0], 10) : 0);
}

interface Rows {
  row(seq: number): MessageRow | undefined;
  /** SQLite's messages of the room with seqs from `from` to `to`. */
  count(from: number, to: number): number;
}

/**
 * Compares the room's log entries up to `upTo` with SQLite's rows at the same seqs; returns how many
 * matched, or throws ImportRefused at the first that differs, or when Redis lacks one of SQLite's
 * messages from its oldest entry on (older ones may have been trimmed by --history-max since).
 */
async function compare(redis: Redis, key: string, upTo: number, { row, count }: Rows): Promise<number> {
  let matched = 0;
  let oldest = Infinity;
  let start = '-';
  while (upTo > 0) {
    const entries = (await redis.xrange(roomLog(key), start, `${upTo}-0`, 'COUNT', COMPARE_CHUNK)) as StreamEntry[];
    for (const [id, flat] of entries) {
      const seq = Number.parseInt(id, 10);
      const f = fieldsOf(flat);
      const stored = row(seq);
      const theirs = f.m ? (JSON.parse(f.m) as { id: string; from: string; text: string; action?: true; account?: string }) : null;
      const same = stored && theirs && theirs.id === stored.id && theirs.from === stored.sender && theirs.text === stored.text
        && Number(f.t) === stored.ts && Boolean(theirs.action) === Boolean(stored.action) && (theirs.account ?? null) === stored.account;
      if (!same) {
        throw new ImportRefused(`room ${key}: Redis already holds seq ${seq} with other content than this history `
          + `(${theirs ? `id ${theirs.id}` : 'no message'} there, ${stored ? `id ${stored.id}` : 'no message'} here); `
          + 'importing would change seqs, so nothing was imported');
      }
      oldest = Math.min(oldest, seq);
      matched++;
    }
    if (entries.length < COMPARE_CHUNK) break;
    start = `(${entries[entries.length - 1]![0]}`;
  }
  const expected = upTo <= 0 ? 0 : count(matched > 0 ? oldest : 1, upTo);
  if (matched < expected) {
    throw new ImportRefused(`room ${key}: Redis is at seq ${upTo} or beyond but lacks ${expected - matched} of this history's `
      + 'messages up to there; importing would change seqs, so nothing was imported');
  }
  return matched;
}
