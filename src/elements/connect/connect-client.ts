import type { CallContext } from '../../chain/context.js';
import { Code, StatusError } from '../../chain/errors.js';
import { metadataOf } from '../../chain/metadata.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';
import { clientConnectionKey, type PeerConnection } from '../../chain/peer.js';

function peerOf(ctx: CallContext): PeerConnection {
  const peer = metadataOf(ctx, 'client').get(clientConnectionKey);
  if (peer === undefined) {
    throw new StatusError(
      Code.INTERNAL,
      'connect: no connection to the next hop in the client metadata; add dial() or clientConn() before connectClient()',
      { reason: 'CONNECT_NO_CONNECTION' },
    );
  }
  return peer;
}

/**
 * The end of a client chain: sends the Request or Close to the next hop over the connection that `dial` or
 * `clientConn` stored in the connection's client metadata, and returns its answer. It never calls `next`.
 *
 * Where in the chain: last, after `dial`/`clientConn`, `authorize` and `trimPath`.
 * @example
 * const client = networkServiceHandler([beginClient(), metadata(), clientUrl(url), dial({ dialer }), connectClient()]);
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/connect
 */
export function connectClient(): NetworkServiceElement {
  return {
    name: 'connect',
    async request(request, ctx) {
      return peerOf(ctx).networkService.request(request, ctx);
    },
    async close(connection, ctx) {
      return peerOf(ctx).networkService.close(connection, ctx);
    },
  };
}
