/**
 * One connection's wait for a refresh request (Go's upstreamrefresh `eventLoop`): from the next hop (our
 * connection reported with REFRESH_REQUESTED) or, with local notifications, from another connection of the
 * same client. Each loop handles one trigger and ends; the re-request it causes starts the next loop.
 */
import type { Subscription } from 'rxjs';
import { State, type Connection } from '../../api/gen/connection.js';
import { withCancel } from '../../chain/cancel.js';
import { CallContext } from '../../chain/context.js';
import { loggerOf } from '../../chain/logger.js';
import type { PeerConnection } from '../../chain/peer.js';
import type { EventFactory } from '../begin/index.js';
import { followConnection, nextHopSelector } from '../monitor/index.js';
import type { Notifier } from './notifier.js';

export interface RefreshLoopParams {
  readonly peer: PeerConnection;
  readonly connection: Connection;
  readonly factory: EventFactory;
  readonly notifier: Notifier | undefined;
  readonly chainSignal: AbortSignal;
  /** The Request's context: the loop keeps its values, not its cancellation. */
  readonly ctx: CallContext;
}

/**
 * Starts the loop and returns its cancel function. The loop also ends, without refreshing, when the next
 * hop's stream fails or ends, when this connection is unsubscribed from the notifier, or with the chain.
 * Throws when the next hop's monitor cannot be asked at all.
 */
export function startRefreshLoop(params: RefreshLoopParams): () => void {
  const { peer, connection, factory, notifier, chainSignal } = params;
  const id = connection.id;
  const scope = withCancel(CallContext.of({ signal: chainSignal }).withValuesOf(params.ctx));
  const signal = scope.ctx.signal;
  const subscriptions: Subscription[] = [];
  signal.addEventListener('abort', () => subscriptions.forEach((s) => s.unsubscribe()), { once: true });

  const refresh = async (trigger: 'upstream' | 'local'): Promise<void> => {
    loggerOf(scope.ctx).log('debug', `upstream-refresh: refresh requested (${trigger})`, {
      connectionId: id,
    });
    await factory.request({ cancelSignal: chainSignal });
    if (trigger === 'upstream') notifier?.notify(id);
  };
  const finish = (trigger?: 'upstream' | 'local'): void => {
    if (signal.aborted) return;
    scope.cancel();
    if (trigger !== undefined) void refresh(trigger);
  };

  try {
    const upstream = peer.monitorConnection
      .monitorConnections(nextHopSelector(connection), scope.ctx)
      .pipe(followConnection(connection, { updatesOnly: true }))
      .subscribe({
        next: (event) => {
          if (event.connections[id]?.state === State.REFRESH_REQUESTED) finish('upstream');
        },
        error: () => finish(),
        complete: () => finish(),
      });
    subscriptions.push(upstream);
  } catch (error) {
    scope.cancel();
    throw error;
  }
  const local = notifier?.notifications(id);
  if (local !== undefined) {
    subscriptions.push(local.subscribe({ next: () => finish('local'), complete: () => finish() }));
  }
  if (signal.aborted) subscriptions.forEach((s) => s.unsubscribe());
  return () => scope.cancel();
}
