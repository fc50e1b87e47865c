/**
 * Find caching for an NSE registry client (Go `registry/common/querycache`).
 */
import { defer, filter, from, mergeMap, of, toArray, type Observable } from 'rxjs';
import { cloneMessage } from '../../api/clone.js';
import {
  NetworkServiceEndpoint,
  type NetworkServiceEndpointQuery,
  type NetworkServiceEndpointResponse,
} from '../../api/gen/registry.js';
import { withCancel } from '../../chain/cancel.js';
import { clockOf } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import type { NseRegistryElement, NseRegistryHandler } from '../../chain/registry.js';
import { NseCache } from './cache.js';

/** The name when `query` asks for exactly one NSE by name and nothing else; such queries hit the cache. */
function cacheKey(query: NetworkServiceEndpointQuery): string | undefined {
  const template = query.networkServiceEndpoint;
  if (template === undefined || template.name === '') return undefined;
  const fields = Object.keys(NetworkServiceEndpoint.toJSON(template) as object);
  return fields.length === 1 ? template.name : undefined;
}

function expired(nse: NetworkServiceEndpoint, now: number): boolean {
  const at = nse.expirationTime;
  return at !== undefined && at.seconds * 1000 + at.nanos / 1e6 <= now;
}

/** @internal */
export function queryCache(
  expireTimeoutMs: number,
  chainSignal: AbortSignal | undefined,
): NseRegistryElement & { readonly size: number } {
  const cache = new NseCache(expireTimeoutMs);
  chainSignal?.addEventListener('abort', () => cache.clear(), { once: true });

  /** Starts the background watch of one cached name, on a context that lives until eviction or chain end. */
  const watchFor =
    (name: string, ctx: CallContext, next: NseRegistryHandler) =>
    (update: (nse: NetworkServiceEndpoint) => void, evict: () => void) => {
      const scope = withCancel(CallContext.of({ signal: chainSignal }).withValuesOf(ctx));
      const query = { networkServiceEndpoint: NetworkServiceEndpoint.fromPartial({ name }), watch: true };
      const subscription = defer(() => next.find(query, scope.ctx)).subscribe({
        next: (response) => {
          const nse = response.networkServiceEndpoint;
          if (nse?.name !== name) return;
          if (response.deleted) evict();
          else update(cloneMessage(nse));
        },
        error: evict,
        complete: evict,
      });
      subscription.add(() => scope.cancel());
      return subscription;
    };

  const store = (found: NetworkServiceEndpoint[], ctx: CallContext, next: NseRegistryHandler): void => {
    if (chainSignal?.aborted) return;
    for (const nse of found) cache.store(cloneMessage(nse), clockOf(ctx), watchFor(nse.name, ctx, next));
  };

  return {
    name: 'registry-query-cache',
    get size() {
      return cache.size;
    },
    find(query, ctx, next): Observable<NetworkServiceEndpointResponse> {
      if (query.watch) return next.find(query, ctx);
      return defer(() => {
        const key = cacheKey(query);
        const clock = clockOf(ctx);
        const cached = key === undefined ? undefined : cache.load(key, clock);
        if (cached !== undefined) {
          if (!expired(cached, clock.now()))
            return of({ networkServiceEndpoint: cloneMessage(cached), deleted: false });
          // Past its expiration the registration is about to be deleted: ask the registry, start afresh.
          cache.evict(cached.name);
        }
        return next.find(query, ctx).pipe(
          filter((response) => !response.deleted && response.networkServiceEndpoint !== undefined),
          toArray(),
          mergeMap((responses) => {
            store(
              responses.map((r) => r.networkServiceEndpoint as NetworkServiceEndpoint),
              ctx,
              next,
            );
            return from(responses);
          }),
        );
      });
    },
  };
}
