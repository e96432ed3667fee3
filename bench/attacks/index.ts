/** The attack report's attacks, by name, as the soak and the bench's attacks scenario run them. */
import type { Attack, AttackContext } from './attack.js';
import { dmVictimAttack } from './dm-victim.js';
import { freeInputAttack } from './free-input.js';
import { historyAttack } from './history.js';
import { lobbyFloodAttack } from './lobby-flood.js';
import { roomsListAttack } from './rooms-list.js';
import { silentSocketsAttack } from './silent-sockets.js';

export const ATTACK_NAMES = [
  'history-burst', 'history-sustained', 'rooms-list', 'dm-victim', 'lobby-flood', 'free-input', 'silent-sockets',
] as const;
export type AttackName = (typeof ATTACK_NAMES)[number];

/** Long runs (the soak) replace the flood's stalled members this often, so some are always filling up. */
export interface AttackTuning {
  lobbyCycleMs?: number;
}

export function makeAttack(name: AttackName, ctx: AttackContext, tuning: AttackTuning = {}): Attack {
  switch (name) {
    case 'history-burst': return historyAttack(ctx, { mode: 'burst', conns: 1 });
    case 'history-sustained': return historyAttack(ctx, { mode: 'sustained', conns: 4 });
    case 'rooms-list': return roomsListAttack(ctx);
    case 'dm-victim': return dmVictimAttack(ctx);
    case 'lobby-flood': return lobbyFloodAttack(ctx, { cycleMs: tuning.lobbyCycleMs ?? 0 });
    case 'free-input': return freeInputAttack(ctx);
    case 'silent-sockets': return silentSocketsAttack(ctx);
  }
}

/** Each attack gets its own pair of address groups (attackers, then helpers). */
export function attackGroup(name: AttackName): number {
  return 30 + 2 * ATTACK_NAMES.indexOf(name);
}
