/**
 * NSMgr local bypass (Go `registry/common/localbypass`): the cluster registry learns "reach this NSE through
 * NSMgr X", while lookups through that NSMgr get the NSE's real URL.
 */
import { map, filter } from 'rxjs';
import type { NetworkServiceEndpointResponse } from '../../api/gen/registry.js';
import { invalidArgument } from '../../chain/errors.js';
import type { NseRegistryElement } from '../../chain/registry.js';

function checkedUrl(url: string): string {
  if (url.trim() === '' || !URL.canParse(url)) {
    throw invalidArgument(
      'LOCALBYPASS_INVALID_URL',
      `registry-local-bypass: cannot register an NSE with URL "${url}"`,
    );
  }
  return url;
}

/** @internal */
export function localBypass(nsmgrUrl: string): NseRegistryElement & { readonly size: number } {
  const realUrls = new Map<string, string>();

  const rewrite = (response: NetworkServiceEndpointResponse): NetworkServiceEndpointResponse => {
    const nse = response.networkServiceEndpoint;
    const real = nse === undefined ? undefined : realUrls.get(nse.name);
    if (nse === undefined || real === undefined) return response;
    return { ...response, networkServiceEndpoint: { ...nse, url: real } };
  };
  // An entry pointing at this NSMgr that it does not know is stale (say, from before a restart): drop it,
  // unless it announces a deletion.
  const fresh = (response: NetworkServiceEndpointResponse): boolean =>
    response.deleted || response.networkServiceEndpoint?.url !== nsmgrUrl;

  return {
    name: 'registry-local-bypass',
    get size() {
      return realUrls.size;
    },
    async register(nse, ctx, next) {
      const known = realUrls.get(nse.name);
      const url = known === nse.url ? known : checkedUrl(nse.url);
      realUrls.set(nse.name, url);
      let registered;
      try {
        registered = await next.register({ ...nse, url: nsmgrUrl }, ctx);
      } catch (error) {
        if (known === undefined) realUrls.delete(nse.name);
        throw error;
      }
      realUrls.set(registered.name, url);
      return { ...registered, url };
    },
    find(query, ctx, next) {
      return next.find(query, ctx).pipe(map(rewrite), filter(fresh));
    },
    async unregister(nse, ctx, next) {
      if (!realUrls.has(nse.name)) return;
      await next.unregister({ ...nse, url: nsmgrUrl }, ctx);
      realUrls.delete(nse.name);
    },
  };
}
