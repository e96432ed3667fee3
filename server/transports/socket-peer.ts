import type { Hub } from '../hub.js';
import type { Metrics } from '../metrics.js';
import { Outgoing } from '../outgoing.js';
import type { Peer, Session, TransportKind } from '../session.js';

export interface PeerHost {
  hub: Hub;
  metrics: Metrics;
  maxBufferedBytes: number;
}

/** How long a closing connection may take to flush its `bye` before it is cut. */
export const CLOSE_GRACE_MS = 3000;

/**
 * What every transport's peer shares: the bounded outbound buffer (a peer that stops reading is a
 * slow consumer: it gets `bye` and is dropped, never slowing anyone else), and `bye` before a close.
 */
export abstract class SocketPeer implements Peer {
  session: Session | null = null;
  protected closing = false;

  constructor(
    readonly kind: TransportKind,
    readonly remote: string,
    protected readonly host: PeerHost,
  ) {}

  deliver(out: Outgoing): void {
    if (this.closing) return;
    this.write(out);
    if (this.buffered() > this.host.maxBufferedBytes) {
      this.host.metrics.slowConsumersDropped.inc();
      this.close('slow consumer');
    }
  }

  close(reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.write(new Outgoing({ type: 'bye', reason }));
    this.finish(reason);
    if (this.session) this.host.hub.disconnect(this.session, reason);
  }

  /** The socket is gone, whoever closed it. */
  gone(): void {
    this.closing = true;
    if (this.session) this.host.hub.disconnect(this.session, 'connection closed');
  }

  protected abstract write(out: Outgoing): void;
  /** Bytes accepted but not yet handed to the kernel. */
  protected abstract buffered(): number;
  /** Ends the connection after what is written, and cuts it if that takes too long. */
  protected abstract finish(reason: string): void;
}
