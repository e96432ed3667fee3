/**
 * How the cluster engine writes members, messages and stream ids as Redis strings, and reads them back.
 */
import type { ChatMessage } from '../../shared/protocol.js';
import type { MemberRef, NewMessage } from './engine.js';

/** `<node>|<sid>|<nick>`: node ids and sids never hold '|', nicks may. */
export function encodeMember(m: MemberRef): string {
  return `${m.node}|${m.sid}|${m.nick}`;
}

export function decodeMember(v: string): MemberRef {
  const a = v.indexOf('|');
  const b = v.indexOf('|', a + 1);
  return { node: v.slice(0, a), sid: v.slice(a + 1, b), nick: v.slice(b + 1) };
}

/** A message as stored in the room log and on the bus (seq is the entry id, ts a field of its own). */
interface Payload { id: string; from: string; text: string; room: string; action?: true; account?: string }

export function encodePayload(m: NewMessage): string {
  const p: Payload = { id: m.id, from: m.from, text: m.text, room: m.room };
  if (m.action) p.action = true;
  if (m.account !== undefined) p.account = m.account;
  return JSON.stringify(p);
}

/** `room` overrides the stored display name (a history page names the room as the asker does). */
export function decodePayload(json: string, seq: number, ts: number, room?: string): ChatMessage {
  const p = JSON.parse(json) as Payload;
  const m: ChatMessage = { room: room ?? p.room, id: p.id, seq, from: p.from, text: p.text, ts };
  if (p.action) m.action = true;
  if (p.account !== undefined) m.account = p.account;
  return m;
}

/** A stream entry as ioredis returns it: [id, [field, value, …]]. */
export type StreamEntry = [string, string[]];

export function fieldsOf(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

/** A room log entry (id `<seq>-0`, fields m, t) as a message. */
export function logMessage([id, flat]: StreamEntry, room: string): ChatMessage {
  const f = fieldsOf(flat);
  return decodePayload(f.m ?? '{}', Number.parseInt(id, 10), Number(f.t), room);
}

export function idMs(id: string): number {
  return splitId(id)[0];
}

function splitId(id: string): [number, number] {
  const dash = id.indexOf('-');
  return dash < 0 ? [Number(id), 0] : [Number(id.slice(0, dash)), Number(id.slice(dash + 1))];
}
