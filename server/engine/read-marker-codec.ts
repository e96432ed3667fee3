/** A read marker as both engines store it: JSON of {room, seq, ts}; a damaged record reads as none. */
import type { ReadMarker } from './engine.js';

export function encodeMarker(marker: ReadMarker): string {
  return JSON.stringify({ room: marker.room, seq: marker.seq, ts: marker.ts });
}

export function decodeMarker(json: string): ReadMarker | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { room, seq, ts } = value as Record<string, unknown>;
  if (typeof room !== 'string' || !Number.isSafeInteger(seq) || !Number.isSafeInteger(ts)) return null;
  return { room, seq: seq as number, ts: ts as number };
}

/** Decoded records by room key; damaged ones are left out. */
export function decodeMarkers(records: Iterable<[roomKey: string, json: string]>): Map<string, ReadMarker> {
  const markers = new Map<string, ReadMarker>();
  for (const [roomKey, json] of records) {
    const marker = decodeMarker(json);
    if (marker) markers.set(roomKey, marker);
  }
  return markers;
}
