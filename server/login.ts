/**
 * A user logging in to an account or out, as the engine's `login` events say: those sharing a room with
 * it learn it as member-state.ts applies it (its own terminals were told `account` by the request). The
 * user here holds its account already (Hub.logIn): the event only tells the others.
 */
import type { LoginEvt } from '../shared/protocol.js';
import type { EngineEvent } from './engine/engine.js';
import type { Hub } from './hub.js';
import { applyMemberState } from './member-state.js';

export function loginEvent(nick: string, account: string | null | undefined): LoginEvt {
  return account ? { type: 'login', nick, account } : { type: 'login', nick };
}

export function applyLogin(hub: Hub, event: Extract<EngineEvent, { kind: 'login' }>): void {
  const { member } = event;
  const user = hub.localUser(member);
  applyMemberState(hub, member, event.rooms, 'account', loginEvent(member.nick, member.account));
  if (user) hub.applied(`login:${user.id}`);
}
