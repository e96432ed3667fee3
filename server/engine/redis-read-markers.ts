/**
 * Read markers in a cluster: one hash per account, `chat:read:<account>` (room key → the marker as JSON).
 * An account's terminals are all on one node, which holds its markers in memory while they are there;
 * another node reads the hash when the account logs in there.
 */
import type { Redis } from 'ioredis';
import { EngineError, type MarkerChange, type ReadMarker, type ReadMarkerStore } from './engine.js';
import { decodeMarkers, encodeMarker } from './read-marker-codec.js';

export const markersKey = (account: string) => `chat:read:${account}`;

export class RedisReadMarkers implements ReadMarkerStore {
  constructor(private readonly redis: Redis) {}

  async load(account: string): Promise<Map<string, ReadMarker>> {
    try {
      return decodeMarkers(Object.entries(await this.redis.hgetall(markersKey(account))));
    } catch (err) {
      throw new EngineError(`the read markers could not be read: ${(err as Error).message}`);
    }
  }

  /** One transaction: an HSET (and an HDEL, for markers the bound dropped) per account. */
  async save(changes: MarkerChange[]): Promise<void> {
    const byAccount = new Map<string, { set: string[]; del: string[] }>();
    for (const [account, roomKey, marker] of changes) {
      const ops = byAccount.get(account) ?? { set: [], del: [] };
      if (marker) ops.set.push(roomKey, encodeMarker(marker));
      else ops.del.push(roomKey);
      byAccount.set(account, ops);
    }
    const tx = this.redis.multi();
    for (const [account, { set, del }] of byAccount) {
      if (set.length > 0) tx.hset(markersKey(account), ...set);
      if (del.length > 0) tx.hdel(markersKey(account), ...del);
    }
    try {
      const results = await tx.exec();
      for (const [err] of results ?? []) if (err) throw err;
    } catch (err) {
      throw new EngineError(`the read markers could not be stored: ${(err as Error).message}`);
    }
  }
}
