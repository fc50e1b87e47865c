import { postpone } from '../../chain/cancel.js';
import { ConfigError } from '../../chain/errors.js';
import { loggerOf } from '../../chain/logger.js';
import type { NetworkServiceElement, NetworkServiceHandler } from '../../chain/network-service.js';

/**
 * The bridge from a server chain into a client chain (an nsmgr or forwarder forwarding the Request): runs
 * `client` first, then the rest of the server chain with the connection the client returned. When the rest
 * fails, the client's connection is closed again with a fresh context of the same timeout length. Close
 * runs both sides even when the first fails, and throws the client's error first.
 *
 * Where in the chain: near the end of a server chain, after the elements that choose the next hop (they put
 * its URL in the context for the client's `dial`) and before elements that act on the way back.
 * @param client the client side, typically `networkServiceHandler([updatePathClient(name), beginClient(),
 *   metadata(), ..., dial(...), connectClient()])`; it shares the server's per-connection metadata
 * @example
 * const nsmgr = networkServiceHandler([...endpointElements, discoverForwarder(...), connectServer(client)]);
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/connect
 */
export function connectServer(client: NetworkServiceHandler): NetworkServiceElement {
  if (typeof client?.request !== 'function' || typeof client.close !== 'function') {
    throw new ConfigError('connect: client must be a NetworkServiceHandler');
  }
  return {
    name: 'connect',
    async request(request, ctx, next) {
      const closeContext = postpone(ctx);
      const connection = await client.request(request, ctx);
      try {
        return await next.request({ ...request, connection }, ctx);
      } catch (error) {
        const scope = closeContext();
        try {
          await client.close(connection, scope.ctx);
        } catch (closeError) {
          loggerOf(ctx).log('warn', 'connect: closing the client side failed', { error: closeError });
        } finally {
          scope.cancel();
        }
        throw error;
      }
    },
    async close(connection, ctx, next) {
      const failures: unknown[] = [];
      for (const side of [client, next]) {
        try {
          await side.close(connection, ctx);
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length === 2) {
        loggerOf(ctx).log('warn', 'connect: the server side failed to close too', { error: failures[1] });
      }
      if (failures.length > 0) throw failures[0];
    },
  };
}
