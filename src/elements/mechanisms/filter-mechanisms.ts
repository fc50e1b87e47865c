import { clientUrlOf } from '../../chain/client-url.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';
import { Cls } from './constants.js';

const LOCAL_SCHEMES = new Set(['unix', 'inode']);

/**
 * Keeps only the preferences the next hop can use: LOCAL ones when the client URL in the context is a
 * `unix:` or `inode:` URL (a process on this node), REMOTE ones for any other URL. Without a client URL the
 * preferences pass unchanged.
 *
 * Where in the chain: forwarder client chains, after the element that sets the client URL and before
 * `connect`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/filtermechanisms
 */
export function filterMechanismsClient(): NetworkServiceElement {
  return {
    name: 'filter-mechanisms',
    async request(request, ctx, next) {
      const url = clientUrlOf(ctx);
      if (url === undefined) return next.request(request, ctx);
      const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase() ?? '';
      const keep = LOCAL_SCHEMES.has(scheme) ? Cls.LOCAL : Cls.REMOTE;
      const mechanismPreferences = request.mechanismPreferences.filter((m) => m.cls === keep);
      return next.request({ ...request, mechanismPreferences }, ctx);
    },
  };
}
