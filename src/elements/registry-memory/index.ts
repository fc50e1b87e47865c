/**
 * Registry `memory`: the in-memory NS and NSE stores with watchable Find (NSM `registry/common/memory`).
 * @module
 */
import type {
  NetworkService,
  NetworkServiceEndpoint,
  NetworkServiceEndpointQuery,
  NetworkServiceEndpointResponse,
  NetworkServiceQuery,
  NetworkServiceResponse,
} from '../../api/gen/registry.js';
import { matchNs, matchNse } from './match.js';
import { memoryRegistry, type MemoryRegistryElement } from './memory-registry.js';

export { matchNs, matchNse } from './match.js';
export type { MemoryRegistryElement } from './memory-registry.js';

/**
 * The in-memory NSE registry. Register calls next, then stores a copy under the name and tells watchers;
 * Unregister deletes and tells watchers (`deleted: true`), then calls next. Find without watch sends the
 * current matches ({@link matchNse}) and then what next finds; with watch it calls next Find first, then sends
 * the current matches and every later matching change until unsubscribed or `ctx.signal` aborts. Each watcher
 * gets its own copies, and a slow watcher never holds up the others.
 *
 * Where in the chain: last in a registry's NSE chain, after `setRegistrationTime` and `expire`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/memory
 */
export function memoryNseRegistry(): MemoryRegistryElement<
  NetworkServiceEndpoint,
  NetworkServiceEndpointQuery,
  NetworkServiceEndpointResponse
> {
  return memoryRegistry<NetworkServiceEndpoint, NetworkServiceEndpointQuery, NetworkServiceEndpointResponse>({
    template: (query) => query.networkServiceEndpoint,
    watch: (query) => query.watch,
    match: matchNse,
    response: (networkServiceEndpoint, deleted) => ({ networkServiceEndpoint, deleted }),
    entryOf: (response) => response.networkServiceEndpoint,
    nextFindFirst: true,
  });
}

/**
 * The in-memory NS registry: as {@link memoryNseRegistry} with {@link matchNs}, except that a watch Find calls
 * next Find only after its own stream ends. NS entries never expire.
 *
 * Where in the chain: last in a registry's NS chain, after `setPayload`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/memory
 */
export function memoryNsRegistry(): MemoryRegistryElement<
  NetworkService,
  NetworkServiceQuery,
  NetworkServiceResponse
> {
  return memoryRegistry<NetworkService, NetworkServiceQuery, NetworkServiceResponse>({
    template: (query) => query.networkService,
    watch: (query) => query.watch,
    match: matchNs,
    response: (networkService, deleted) => ({ networkService, deleted }),
    entryOf: (response) => response.networkService,
    nextFindFirst: false,
  });
}
