/**
 * The client's connection as its nsmgr sees it, live: a MonitorConnections stream on the nsmgr, keeping the
 * latest path and counting updates (each refresh, and each heal, is one).
 * @module
 */
import type { Subscription } from 'rxjs';
import { type Connection, ConnectionEventType, MonitorScopeSelector } from '../../api/gen/connection.js';
import { grpcDialer, type GrpcDialer } from '../../api/peer.js';
import { CallContext } from '../../chain/context.js';

export class ConnectionWatch {
  /** The connection at the nsmgr (path from the client to the endpoint), once seen. */
  connection: Connection | undefined;
  /** Updates after the first sight: refreshes and heals. */
  updates = 0;
  lastUpdateAt: number | undefined;
  closed = false;
  error: string | undefined;
  readonly #dialer: GrpcDialer = grpcDialer();
  readonly #stop = new AbortController();
  readonly #subscription: Subscription;

  /** Watches, at the nsmgr at `url`, the connection whose first path segment is `clientId`. */
  constructor(url: string, clientId: string) {
    const ctx = CallContext.of({ signal: this.#stop.signal });
    const selector = MonitorScopeSelector.fromPartial({ pathSegments: [{ id: clientId }] });
    const events = this.#dialer(url).monitorConnection.monitorConnections(selector, ctx);
    this.#subscription = events.subscribe({
      next: (event) => {
        const mine = Object.values(event.connections).find((c) => c.path?.pathSegments[0]?.id === clientId);
        if (mine === undefined) return;
        if (event.type === ConnectionEventType.DELETE) {
          this.closed = true;
          return;
        }
        if (this.connection !== undefined && event.type === ConnectionEventType.UPDATE) {
          this.updates++;
          this.lastUpdateAt = Date.now();
        }
        this.connection = mine;
        this.closed = false;
      },
      error: (error: unknown) => {
        if (!this.#stop.signal.aborted) this.error = error instanceof Error ? error.message : String(error);
      },
    });
  }

  /** Ends the stream and closes the channel. */
  close(): void {
    this.#stop.abort();
    this.#subscription.unsubscribe();
    this.#dialer.closeAll();
  }
}
