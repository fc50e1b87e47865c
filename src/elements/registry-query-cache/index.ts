/**
 * Registry `querycache`: answers repeated Finds from a watch-maintained cache on the client side (NSM
 * `registry/common/querycache`, generalised from lookups by name to any query, for NS and NSE registries).
 * @module
 */
import { ConfigError } from '../../chain/errors.js';
import type { NseRegistryElement, NsRegistryElement } from '../../chain/registry.js';
import { nseKind, nsKind } from './kinds.js';
import { cachingFind } from './query-cache.js';

export interface QueryCacheOptions {
  /** How long an answer lives without being read, in ms. Default: 60000. */
  readonly expireTimeoutMs?: number;
  /** Ends every background watch and drops the cache when it aborts. Default: none. */
  readonly chainSignal?: AbortSignal;
}

function timeoutOf(options: QueryCacheOptions): number {
  const { expireTimeoutMs = 60_000 } = options;
  if (!Number.isFinite(expireTimeoutMs) || expireTimeoutMs <= 0)
    throw new ConfigError('registry-query-cache: expireTimeoutMs must be a finite number > 0');
  return expireTimeoutMs;
}

/**
 * Watch Finds pass through. A non-watch Find whose query was answered before is answered from the cache
 * (which extends the answer's life); registrations past their expiration time are left out, and an answer
 * emptied by deletions is not served: the Find goes on instead. On a miss the Find goes on, its results are
 * sent once it completes, and a non-empty answer is cached, kept current by a background Find of the same
 * query with `watch` through the rest of the chain (updates replace entries, deletions remove them); the end
 * of that watch evicts the answer. Answers not read within the expire timeout are evicted at the next lookup
 * (Go runs a ticker for that; this cache owns no timer). Go caches lookups by name only; this caches any
 * query, since the watch keeps each answer current. What it trades: a registration deleted between a miss and
 * the start of its watch can be served until the answer is evicted or the endpoint's expiration time passes.
 *
 * Where in the chain: first in a registry client chain, e.g. a forwarder's lookups through its nsmgr, or the
 * nsmgr's client of the registry.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/querycache
 */
export function queryCacheNse(
  options: QueryCacheOptions = {},
): NseRegistryElement & { readonly size: number } {
  const { find, cache } = cachingFind(nseKind, timeoutOf(options), options.chainSignal);
  return {
    name: 'registry-query-cache',
    get size() {
      return cache.size;
    },
    find: (query, ctx, next) => find(query, ctx, (q, c) => next.find(q, c)),
  };
}

/** {@link queryCacheNse} for the NS registry (network services have no expiration time). */
export function queryCacheNs(options: QueryCacheOptions = {}): NsRegistryElement & { readonly size: number } {
  const { find, cache } = cachingFind(nsKind, timeoutOf(options), options.chainSignal);
  return {
    name: 'registry-query-cache-ns',
    get size() {
      return cache.size;
    },
    find: (query, ctx, next) => find(query, ctx, (q, c) => next.find(q, c)),
  };
}
