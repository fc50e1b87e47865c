import { Connection } from '../../api/gen/connection.js';
import { connectionMetadataKey, metadataKey, metadataOf } from '../../chain/metadata.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';

/** The endpoint name the next hop chose last time (client half of the connection's metadata). */
const nextNseNameKey = metadataKey<string>('replace-nse-name/next');

/**
 * Sends the endpoint name the next hop returned last time instead of the incoming one (none on the first
 * Request), remembers the one it returns now, and gives the caller its own name back in the response. Close sends
 * the remembered name and forgets it.
 *
 * Where in the chain: in the client chain of a passthrough endpoint, after `metadata`; usually through
 * `passthroughClient`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/passthrough/replacensename
 */
export function replaceNseNameClient(): NetworkServiceElement {
  return {
    name: 'replace-nse-name',
    async request(request, ctx, next) {
      const metadata = metadataOf(ctx, 'client');
      const connection = request.connection ?? Connection.create();
      const networkServiceEndpointName = metadata.get(nextNseNameKey) ?? '';
      const result = await next.request(
        { ...request, connection: { ...connection, networkServiceEndpointName } },
        ctx,
      );
      metadata.set(nextNseNameKey, result.networkServiceEndpointName);
      return { ...result, networkServiceEndpointName: connection.networkServiceEndpointName };
    },
    async close(connection, ctx, next) {
      const remembered = ctx.value(connectionMetadataKey)?.client.take(nextNseNameKey) ?? '';
      return next.close({ ...connection, networkServiceEndpointName: remembered }, ctx);
    },
  };
}
