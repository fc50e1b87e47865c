/**
 * Registry `querycache`: caches NSE lookups by name on the client side (NSM `registry/common/querycache`).
 * @module
 */
import { ConfigError } from '../../chain/errors.js';
import type { NseRegistryElement } from '../../chain/registry.js';
import { queryCache } from './query-cache.js';

export interface QueryCacheNseOptions {
  /** How long an entry lives without being read, in ms. Default: 60000. */
  readonly expireTimeoutMs?: number;
  /** Ends every background watch and drops the cache when it aborts. Default: none. */
  readonly chainSignal?: AbortSignal;
}

/**
 * Watch Finds pass through. A Find for exactly one NSE by name is answered from the cache when the name is
 * there (which extends the entry's life). Otherwise the Find goes on, its results are sent once it completes,
 * and each NSE found is cached under its name, kept current by a background `Find({name}, watch)` through the
 * rest of the chain; a deletion, or the end of that watch, evicts it, and so does the registration's own
 * expiration time passing. Entries not read within the expire timeout are evicted at the next lookup (Go runs a
 * ticker for that; this cache owns no timer).
 *
 * Where in the chain: first in a forwarder's NSE registry client chain.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/querycache
 */
export function queryCacheNse(
  options: QueryCacheNseOptions = {},
): NseRegistryElement & { readonly size: number } {
  const { expireTimeoutMs = 60_000, chainSignal } = options;
  if (!Number.isFinite(expireTimeoutMs) || expireTimeoutMs <= 0)
    throw new ConfigError('registry-query-cache: expireTimeoutMs must be a finite number > 0');
  return queryCache(expireTimeoutMs, chainSignal);
}
