import { clientConnectionKey, type PeerConnection } from '../../chain/peer.js';
import { metadataOf } from '../../chain/metadata.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';

/**
 * Uses a connection the caller already holds for the next hop: stores it in the connection's client
 * metadata unless one is there already (then `dial` leaves it alone and `connectClient` uses it). On Close it
 * removes it again, unless the metadata meanwhile holds another connection. It never closes `peer`: the
 * caller owns it. With no peer it does nothing.
 *
 * Where in the chain: after `metadata` and `clientUrl`, before `heal` and `dial`.
 * @param peer the static connection to the next hop; undefined for none
 * @example
 * const client = networkServiceHandler([beginClient(), metadata(), clientConn(peer), connectClient()]);
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/clientconn
 */
export function clientConn(peer: PeerConnection | undefined): NetworkServiceElement {
  if (peer === undefined) return { name: 'client-conn' };
  return {
    name: 'client-conn',
    request(request, ctx, next) {
      metadataOf(ctx, 'client').getOrSet(clientConnectionKey, () => peer);
      return next.request(request, ctx);
    },
    async close(connection, ctx, next) {
      const clientMetadata = metadataOf(ctx, 'client');
      try {
        await next.close(connection, ctx);
      } finally {
        const stored = clientMetadata.take(clientConnectionKey);
        if (stored !== undefined && stored !== peer) clientMetadata.set(clientConnectionKey, stored);
      }
    },
  };
}
