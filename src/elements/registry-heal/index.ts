/**
 * Registry `heal`: registrations and watch Finds survive a restart of the next hop (NSM `registry/common/heal`).
 * @module
 */
import {
  NetworkService,
  NetworkServiceEndpoint,
  type NetworkServiceEndpointQuery,
  type NetworkServiceEndpointResponse,
  type NetworkServiceQuery,
  type NetworkServiceResponse,
} from '../../api/gen/registry.js';
import { contextKey } from '../../chain/context.js';
import type { NseRegistryElement, NsRegistryElement } from '../../chain/registry.js';
import { nseEventFactoryOf, nsEventFactoryOf } from '../registry-begin/index.js';
import { registryHeal } from './heal.js';

export interface RegistryHealOptions {
  /** Ends every registration watch and every healing Find when it aborts. Default: none. */
  readonly chainSignal?: AbortSignal;
}

const nseHealingKey = contextKey<true>('registry-heal/nse-find');
const nsHealingKey = contextKey<true>('registry-heal/ns-find');

/**
 * After each successful Register, watches the NSE's own name (`Find({name}, watch)`) through the rest of the
 * chain; when that watch fails (the next hop went away), registers again through the registry `begin` event
 * factory. A caller's watch Find is wrapped so that when its stream fails or ends it is opened again after
 * 100 ms (on `clockOf(ctx)`), until the caller unsubscribes or `ctx.signal` aborts. Unregister and
 * `chainSignal` end the registration's watch.
 * Reentrant: Register also calls `next.find`, and a healing Find calls `next.find` once per stream it opens.
 *
 * Where in the chain: in a registry client chain after `begin` (required: without it Register fails with
 * REGISTRY_HEAL_NO_BEGIN) and `retry`, before `refresh` and `dial`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/heal
 */
export function healNseClient(
  options: RegistryHealOptions = {},
): NseRegistryElement & { readonly size: number } {
  return registryHeal<NetworkServiceEndpoint, NetworkServiceEndpointQuery, NetworkServiceEndpointResponse>({
    factoryOf: nseEventFactoryOf,
    nameQuery: (name) => ({
      networkServiceEndpoint: NetworkServiceEndpoint.fromPartial({ name }),
      watch: true,
    }),
    isWatch: (query) => query.watch,
    healingKey: nseHealingKey,
    chainSignal: options.chainSignal,
  });
}

/**
 * {@link healNseClient} for NS registrations (which never expire, so only heal keeps them alive).
 *
 * Where in the chain: in an NS registry client chain after `begin` and `retry`, before `dial`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/heal
 */
export function healNsClient(
  options: RegistryHealOptions = {},
): NsRegistryElement & { readonly size: number } {
  return registryHeal<NetworkService, NetworkServiceQuery, NetworkServiceResponse>({
    factoryOf: nsEventFactoryOf,
    nameQuery: (name) => ({ networkService: NetworkService.fromPartial({ name }), watch: true }),
    isWatch: (query) => query.watch,
    healingKey: nsHealingKey,
    chainSignal: options.chainSignal,
  });
}
