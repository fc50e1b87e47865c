/**
 * Passthrough monitoring (Go's monitor `eventLoop`): a server that continues to a next hop re-publishes the
 * next hop's changes to its own connection, so a DOWN or REFRESH_REQUESTED raised by an NSE travels back up
 * through forwarder and nsmgr to the client.
 */
import { cloneMessage } from '../../api/clone.js';
import { ConnectionEventType, State, type Connection } from '../../api/gen/connection.js';
import { withCancel } from '../../chain/cancel.js';
import { CallContext } from '../../chain/context.js';
import { loggerOf } from '../../chain/logger.js';
import type { PeerConnection } from '../../chain/peer.js';
import type { ConnectionMonitor } from './connection-monitor.js';
import { followConnection, nextHopSelector } from './follow.js';

/** What a passthrough loop needs. */
export interface PassthroughParams {
  readonly peer: PeerConnection;
  /** Our connection as returned by the Request that starts the loop. */
  readonly connection: Connection;
  readonly monitor: ConnectionMonitor;
  readonly chainSignal: AbortSignal;
  /** The Request's context: the loop keeps its values (clock, logger, headers), not its cancellation. */
  readonly ctx: CallContext;
}

/**
 * Subscribes to the next hop's monitor for `connection` and re-publishes what the filter lets through as local
 * UPDATEs. When the stream fails or ends, publishes our connection as DOWN and stops. Returns the loop's cancel
 * function; the loop also ends when the chain signal aborts.
 */
export function startPassthrough(params: PassthroughParams): () => void {
  const { peer, monitor } = params;
  const scope = withCancel(CallContext.of({ signal: params.chainSignal }).withValuesOf(params.ctx));
  const signal = scope.ctx.signal;
  // The loop lives as long as the connection: it keeps its own copy and the id, never `params`.
  let last = cloneMessage(params.connection);
  const { id } = last;
  const selector = nextHopSelector(last);
  const lost = (error?: unknown): void => {
    if (signal.aborted) return;
    loggerOf(scope.ctx).log('info', 'monitor: next hop monitor stream ended, reporting the connection down', {
      connectionId: id,
      error,
    });
    const down: Connection = { ...last, state: State.DOWN };
    monitor.send({ type: ConnectionEventType.UPDATE, connections: { [down.id]: down } });
    scope.cancel();
  };
  try {
    const subscription = peer.monitorConnection
      .monitorConnections(selector, scope.ctx)
      .pipe(followConnection(last, { skipUnchangedInitial: true, owned: true }))
      .subscribe({
        next: (event) => {
          if (signal.aborted) return;
          last = event.connections[id] ?? last;
          monitor.send(event);
        },
        error: lost,
        complete: lost,
      });
    if (signal.aborted) subscription.unsubscribe();
    else signal.addEventListener('abort', () => subscription.unsubscribe(), { once: true });
  } catch (error) {
    // Go logs and runs without passthrough when the stream cannot be opened; so do we.
    loggerOf(scope.ctx).log('warn', 'monitor: cannot monitor the next hop', {
      connectionId: id,
      error,
    });
    scope.cancel();
  }
  return () => scope.cancel();
}
