import { Connection } from '../../api/gen/connection.js';
import { ConfigError } from '../../chain/errors.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';

/**
 * Sends `labels` instead of the incoming connection's labels, and gives the caller its own labels back in the
 * response. Close sends `labels` too.
 *
 * Where in the chain: in the client chain of a passthrough endpoint (one that is also a client of the next
 * service hop); usually through `passthroughClient`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/passthrough/replacelabels
 */
export function replaceLabelsClient(labels: Readonly<Record<string, string>>): NetworkServiceElement {
  if (typeof labels !== 'object' || labels === null)
    throw new ConfigError('replacelabels: labels must be an object');
  const own = Object.freeze({ ...labels });
  return {
    name: 'replace-labels',
    async request(request, ctx, next) {
      const connection = request.connection ?? Connection.create();
      const result = await next.request(
        { ...request, connection: { ...connection, labels: { ...own } } },
        ctx,
      );
      return { ...result, labels: connection.labels };
    },
    async close(connection, ctx, next) {
      return next.close({ ...connection, labels: { ...own } }, ctx);
    },
  };
}
