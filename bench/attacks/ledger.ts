/**
 * Every message the server acknowledged during a run: by room, its id and seq (JSON clients, from
 * `ack`), or a marker in its text (text-mode clients, which get no ack but see their own message only
 * once it is stored). At the end, each one must be found in the room's history.
 */
export interface RoomLedger {
  /** id → seq */
  acked: Map<string, number>;
  /** Markers of text-mode messages seen echoed back. */
  echoed: Set<string>;
}

export class AckLedger {
  readonly rooms = new Map<string, RoomLedger>();

  private room(name: string): RoomLedger {
    const key = name.toLowerCase();
    let r = this.rooms.get(key);
    if (!r) this.rooms.set(key, (r = { acked: new Map(), echoed: new Set() }));
    return r;
  }

  ack(room: string, id: string, seq: number): void {
    this.room(room).acked.set(id, seq);
  }

  echo(room: string, marker: string): void {
    this.room(room).echoed.add(marker);
  }

  get size(): number {
    let n = 0;
    for (const r of this.rooms.values()) n += r.acked.size + r.echoed.size;
    return n;
  }
}
