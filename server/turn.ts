/**
 * Event-loop turns, counted lazily: the number changes once per turn in which someone asked for it, so
 * per-turn budgets need no timer of their own and an idle server schedules nothing.
 */
let turn = 0;
let scheduled = false;

function advance(): void {
  turn++;
  scheduled = false;
}

export function currentTurn(): number {
  if (!scheduled) {
    scheduled = true;
    setImmediate(advance);
  }
  return turn;
}
