import { cloneMessage } from '../../api/clone.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';
import { ConnectionTable, requireConnection } from './connection-table.js';
import { defaultReselect, eventFactoryKey, type ReselectFunc } from './event-factory.js';
import { mergeConnection } from './merge.js';

export interface BeginClientOptions {
  /** How a request changes when an event asks for reselect. Default: {@link defaultReselect}. */
  readonly reselect?: ReselectFunc;
}

/**
 * Client `begin`: the same per-connection serialization and event factory as the server variant, plus the
 * three-way merge, so a caller re-requesting with an old connection object after a heal still goes to the
 * healed path. Reselect events close the current path first, then re-request with `reselect` applied.
 *
 * Where in the chain: right after `updatePathClient`, first of the stateful client elements. Inside a server
 * chain (nsmgr, forwarder) it passes through, because the server `begin` already serializes.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/begin
 */
export function beginClient(
  options: BeginClientOptions = {},
): NetworkServiceElement & { readonly size: number } {
  const table = new ConnectionTable('client', options.reselect ?? defaultReselect);
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
        const merged = {
          ...request,
          connection: mergeConnection(events.returned, requested, events.stored?.connection),
        };
        let connection;
        try {
          connection = await next.request(merged, ctx.with(eventFactoryKey, events));
        } catch (error) {
          if (events.state !== 'established') events.markClosed();
          throw error;
        }
        // One copy serves as both: neither is changed in place (a refresh replaces them), so they can share it.
        const copy = cloneMessage(connection);
        events.stored = { ...cloneMessage({ ...merged, connection: undefined }), connection: copy };
        events.returned = copy;
        events.state = 'established';
        events.rememberValues(ctx);
        return connection;
      });
    },
    close(connection, ctx, next) {
      if (ctx.value(eventFactoryKey) !== undefined) return next.close(connection, ctx);
      return table.runClose(connection.id, ctx, next);
    },
  };
}
