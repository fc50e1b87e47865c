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
  /** The most answers kept (each holds 1 + its items' watches); the least recently read goes. Default 256. */
  readonly maxEntries?: number;
}

function settingsOf(options: QueryCacheOptions): [number, number, AbortSignal | undefined] {
  const { expireTimeoutMs = 60_000, maxEntries = 256 } = options;
  if (!Number.isFinite(expireTimeoutMs) || expireTimeoutMs <= 0)
    throw new ConfigError('registry-query-cache: expireTimeoutMs must be a finite number > 0');
  if (!Number.isInteger(maxEntries) || maxEntries < 1)
    throw new ConfigError('registry-query-cache: maxEntries must be an integer >= 1');
  return [expireTimeoutMs, maxEntries, options.chainSignal];
}

/**
 * Watch Finds pass through. A non-watch Find whose query was answered before is answered from the cache
 * (which extends the answer's life); registrations past their expiration time are left out, and an answer
 * emptied by removals or expirations is dropped: the Find goes on instead. On a miss the Find goes on, its
 * results are sent once it completes, and a non-empty answer is cached, kept current by background Finds with
 * `watch` through the rest of the chain: one of the same query (registrations that come to match join the
 * answer) and one per registration in it by name (one that changes so that it no longer matches, or goes away,
 * leaves it). The end of any of these watches drops the answer. Answers not read within the expire timeout are
 * dropped at the next lookup (Go runs a ticker for that; this cache owns no timer), and past `maxEntries` the
 * least recently read goes. Go caches lookups by name only. What it trades: a registration deleted between a
 * miss and the start of its watches can be served until the answer is dropped or its expiration time passes.
 *
 * Where in the chain: first in a registry client chain, e.g. a forwarder's lookups through its nsmgr, or the
 * nsmgr's client of the registry.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/querycache
 */
export function queryCacheNse(
  options: QueryCacheOptions = {},
): NseRegistryElement & { readonly size: number } {
  const { find, cache } = cachingFind(nseKind, ...settingsOf(options));
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
  const { find, cache } = cachingFind(nsKind, ...settingsOf(options));
  return {
    name: 'registry-query-cache-ns',
    get size() {
      return cache.size;
    },
    find: (query, ctx, next) => find(query, ctx, (q, c) => next.find(q, c)),
  };
}
