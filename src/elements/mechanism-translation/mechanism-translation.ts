import { cloneMessage } from '../../api/clone.js';
import { Connection, type Mechanism } from '../../api/gen/connection.js';
import { metadataKey, metadataOf } from '../../chain/metadata.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';

const clientMechanismKey = metadataKey<Mechanism>('mechanism-translation/client-mechanism');

/**
 * Separates the two halves of a forwarder: the incoming (server-side) mechanism and the outgoing (client-side)
 * one. The outgoing request carries no mechanism preferences (the client chain after this element adds its
 * own) and, as its mechanism, the client-side mechanism returned last time (none on the first Request). On
 * success it remembers the returned client-side mechanism and hands back the connection with the incoming
 * request's mechanism. Close sends the remembered client-side mechanism and forgets it.
 *
 * Needs `metadata()` before it (it keeps the client-side mechanism in the client half).
 *
 * Where in the chain: a forwarder's inner client chain, first, before the client mechanism elements.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/mechanismtranslation
 */
export function mechanismTranslationClient(): NetworkServiceElement {
  return {
    name: 'mechanism-translation',
    async request(request, ctx, next) {
      const meta = metadataOf(ctx, 'client');
      const connection = request.connection ?? Connection.create();
      const remembered = meta.get(clientMechanismKey);
      const outgoing = {
        ...request,
        mechanismPreferences: [],
        connection: { ...connection, mechanism: remembered && cloneMessage(remembered) },
      };
      const returned = await next.request(outgoing, ctx);
      if (returned.mechanism === undefined) meta.delete(clientMechanismKey);
      else meta.set(clientMechanismKey, cloneMessage(returned.mechanism));
      return { ...returned, mechanism: connection.mechanism };
    },
    close(connection, ctx, next) {
      const mechanism = metadataOf(ctx, 'client').take(clientMechanismKey);
      return next.close({ ...connection, mechanism }, ctx);
    },
  };
}
