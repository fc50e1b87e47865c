import { State } from '../../api/gen/connection.js';
import { cloneMessage } from '../../api/clone.js';
import { loggerOf } from '../../chain/logger.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';
import { ConnectionTable, requireConnection } from './connection-table.js';
import { eventFactoryKey } from './event-factory.js';

/**
 * Server `begin`: serializes every Request and Close of one connection id (FIFO), closes with the last
 * connection it returned whatever the caller sends, and gives later elements an event factory to re-run
 * Request/Close from inside the chain. A RESELECT_REQUESTED request for an established connection first closes
 * the old path downstream.
 *
 * Where in the chain: right after `updatePathServer` (which guarantees the id), before any element that keeps
 * state or changes the response.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/begin
 */
export function beginServer(): NetworkServiceElement & { readonly size: number } {
  const table = new ConnectionTable('server');
  return {
    name: 'begin',
    /** Connections currently tracked (for leak checks). */
    get size() {
      return table.size;
    },
    async request(request, ctx, next) {
      const requested = requireConnection(request);
      const id = requested.id;
      if (ctx.value(eventFactoryKey) !== undefined) return next.request(request, ctx);
      return table.runRequest(id, ctx, next, async (events) => {
        if (
          events.state === 'established' &&
          requested.state === State.RESELECT_REQUESTED &&
          events.stored?.connection
        ) {
          const scope = events.eventContext();
          try {
            await next.close(events.stored.connection, scope.ctx);
          } catch (error) {
            loggerOf(ctx).log('warn', 'begin: closing the old path on reselect failed', { id, error });
          } finally {
            scope.cancel();
          }
          events.state = 'closed';
        }
        let connection;
        try {
          connection = await next.request(request, ctx.with(eventFactoryKey, events));
        } catch (error) {
          if (events.state !== 'established') events.markClosed();
          throw error;
        }
        const up = { ...connection, state: State.UP };
        events.stored = cloneMessage({ ...request, connection: up });
        events.state = 'established';
        events.rememberValues(ctx);
        return up;
      });
    },
    close(connection, ctx, next) {
      if (ctx.value(eventFactoryKey) !== undefined) return next.close(connection, ctx);
      return table.runClose(connection.id, ctx, next);
    },
  };
}
