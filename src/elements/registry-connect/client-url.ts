/** Registry `clienturl` (Go `registry/common/clienturl`): a fixed next-hop URL for a registry client chain. */
import { withClientUrl } from '../../chain/client-url.js';
import type { ElementOf } from '../../chain/compose.js';
import { ConfigError } from '../../chain/errors.js';
import type { NseRegistryElement, NsRegistryElement, RegistryHandler } from '../../chain/registry.js';

/**
 * Puts `url` in the context of every Register, Find and Unregister as the next hop's URL, for
 * `registryDialNse`/`registryDialNs`. The one element serves both registries.
 *
 * Where in the chain: in a registry client chain before `dial` (Go's client URL resolver slot).
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/clienturl
 */
export function registryClientUrl(url: string): NseRegistryElement & NsRegistryElement {
  if (typeof url !== 'string' || url.trim() === '')
    throw new ConfigError('registry-client-url: the URL must be a non-empty string');
  const element: ElementOf<RegistryHandler<unknown, unknown, unknown>> = {
    name: 'registry-client-url',
    register: (entry, ctx, next) => next.register(entry, withClientUrl(ctx, url)),
    find: (query, ctx, next) => next.find(query, withClientUrl(ctx, url)),
    unregister: (entry, ctx, next) => next.unregister(entry, withClientUrl(ctx, url)),
  };
  return element as unknown as NseRegistryElement & NsRegistryElement;
}
