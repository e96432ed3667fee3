import type { Outgoing } from './outgoing.js';

/**
 * Room fan-out between server processes. In-process today; a Redis-backed bus can take its place so
 * that several processes share rooms, with the hub unchanged.
 */
export interface Bus {
  publish(roomKey: string, out: Outgoing): void;
  subscribe(deliver: (roomKey: string, out: Outgoing) => void): void;
}

export class LocalBus implements Bus {
  private deliver: (roomKey: string, out: Outgoing) => void = () => {};

  publish(roomKey: string, out: Outgoing): void {
    this.deliver(roomKey, out);
  }

  subscribe(deliver: (roomKey: string, out: Outgoing) => void): void {
    this.deliver = deliver;
  }
}
