/**
 * Read markers on a single node: one registry record per account and room (key `<account> <room key>`),
 * written through the history writer's thread and read, one account at a time, on the reader's. Neither
 * touches the event loop, and a server with many accounts keeps in memory only those logged in.
 */
import { ReadError, type HistoryReader } from '../store/history-reader.js';
import { CommitError, type HistoryWriter, type StateRow } from '../store/history-writer.js';
import { EngineError, type MarkerChange, type ReadMarker, type ReadMarkerStore } from './engine.js';
import { decodeMarkers, encodeMarker } from './read-marker-codec.js';

export const READ_MARKER_KIND = 'read';

// Nicks hold no spaces, so `<account> ` starts the keys of that account's records and no other's.
const prefixOf = (account: string) => `${account} `;

export class LocalReadMarkers implements ReadMarkerStore {
  constructor(
    private readonly writer: HistoryWriter,
    private readonly reader: HistoryReader,
  ) {}

  async load(account: string): Promise<Map<string, ReadMarker>> {
    const prefix = prefixOf(account);
    try {
      const records = await this.reader.records(READ_MARKER_KIND, prefix);
      return decodeMarkers(records.map(([key, json]): [string, string] => [key.slice(prefix.length), json]));
    } catch (err) {
      throw err instanceof ReadError ? new EngineError(`the read markers could not be read: ${err.message}`) : err;
    }
  }

  async save(changes: MarkerChange[]): Promise<void> {
    const rows = changes.map(([account, roomKey, marker]): StateRow => [READ_MARKER_KIND, prefixOf(account) + roomKey, marker && encodeMarker(marker)]);
    try {
      await this.writer.saveState(rows);
    } catch (err) {
      throw err instanceof CommitError ? new EngineError(`the read markers could not be stored: ${err.message}`) : err;
    }
  }
}
