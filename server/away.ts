/**
 * Away, as the engine's `away` events say: the user here takes up its away text, and the others learn it
 * as member-state.ts applies it.
 */
import type { AwayEvt } from '../shared/protocol.js';
import type { EngineEvent } from './engine/engine.js';
import type { Hub } from './hub.js';
import { applyMemberState } from './member-state.js';

export function awayEvent(nick: string, reason: string | null | undefined): AwayEvt {
  return reason ? { type: 'away', nick, reason } : { type: 'away', nick };
}

export function applyAway(hub: Hub, event: Extract<EngineEvent, { kind: 'away' }>): void {
  const { member } = event;
  const user = hub.localUser(member);
  if (user) user.away = member.away ?? null;
  applyMemberState(hub, member, event.rooms, 'away', awayEvent(member.nick, member.away));
  if (user) hub.applied(`away:${user.id}`);
}
