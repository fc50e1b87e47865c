/**
 * Find caching for registry clients, shared by the NS and NSE variants: a non-watch Find is answered from the
 * cached answer to the same query, which a background watch of that query keeps current.
 */
import { defer, filter, from, mergeMap, toArray, type Observable, type Subscription } from 'rxjs';
import { withCancel } from '../../chain/cancel.js';
import { clockOf } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { QueryCache, type Watchers, type WatchSink } from './cache.js';

/** How one registry's queries, responses and items are read. */
export interface RegistryKind<TQuery extends { readonly watch: boolean }, TResponse, TItem> {
  /** The cache key of a query (its template, in canonical JSON). */
  keyOf(query: TQuery): string;
  itemOf(response: TResponse): TItem | undefined;
  isDeleted(response: TResponse): boolean;
  responseOf(item: TItem): TResponse;
  nameOf(item: TItem): string;
  /** Whether the registration is past its own expiration time (never for kinds without one). */
  expired(item: TItem, now: number): boolean;
  clone(item: TItem): TItem;
  /** Whether `item` is in the answer to `query` (the registry's own matching). */
  matches(query: TQuery, item: TItem): boolean;
  /** A watch of one registration by name. */
  watchByName(name: string): TQuery;
}

type Find<TQuery, TResponse> = (query: TQuery, ctx: CallContext) => Observable<TResponse>;

/** @internal The `find` of a caching element for registry `kind`. */
export function cachingFind<TQuery extends { readonly watch: boolean }, TResponse, TItem>(
  kind: RegistryKind<TQuery, TResponse, TItem>,
  expireTimeoutMs: number,
  maxEntries: number,
  chainSignal: AbortSignal | undefined,
): {
  find: (query: TQuery, ctx: CallContext, next: Find<TQuery, TResponse>) => Observable<TResponse>;
  cache: QueryCache<TItem>;
} {
  const cache = new QueryCache<TItem>(expireTimeoutMs, maxEntries);
  chainSignal?.addEventListener('abort', () => cache.clear(), { once: true });

  const watchersFor = (query: TQuery, ctx: CallContext, next: Find<TQuery, TResponse>): Watchers<TItem> => {
    /** A background watch on a context that lives until it is unsubscribed or the chain ends. */
    const watch = (
      watched: TQuery,
      sink: WatchSink<TItem>,
      onResponse: (response: TResponse) => void,
    ): Subscription => {
      const scope = withCancel(CallContext.of({ signal: chainSignal }).withValuesOf(ctx));
      const subscription = defer(() => next(watched, scope.ctx)).subscribe({
        next: onResponse,
        error: () => sink.evict(),
        complete: () => sink.evict(),
      });
      subscription.add(() => scope.cancel());
      return subscription;
    };
    return {
      query: (sink) =>
        watch({ ...query, watch: true }, sink, (response) => {
          const item = kind.itemOf(response);
          if (item === undefined) return;
          if (kind.isDeleted(response)) sink.remove(kind.nameOf(item));
          else sink.upsert(kind.nameOf(item), kind.clone(item));
        }),
      // The query's watch only reports versions that match it; this one also sees an item leave the answer.
      item: (name, sink) =>
        watch(kind.watchByName(name), sink, (response) => {
          const item = kind.itemOf(response);
          if (item === undefined || kind.nameOf(item) !== name) return;
          if (kind.isDeleted(response) || !kind.matches(query, item)) sink.remove(name);
          else sink.upsert(name, kind.clone(item));
        }),
    };
  };

  const find = (query: TQuery, ctx: CallContext, next: Find<TQuery, TResponse>): Observable<TResponse> => {
    if (query.watch) return next(query, ctx);
    return defer(() => {
      const key = kind.keyOf(query);
      const now = clockOf(ctx).now();
      const cached = cache.load(key, now)?.filter((item) => !kind.expired(item, now));
      if (cached !== undefined && cached.length > 0)
        return from(cached.map((item) => kind.responseOf(kind.clone(item))));
      // An answer emptied by deletions or expirations is not trusted: dropped, and the registry asked again.
      if (cached !== undefined) cache.evict(key);
      return next(query, ctx).pipe(
        filter((response) => !kind.isDeleted(response) && kind.itemOf(response) !== undefined),
        toArray(),
        mergeMap((responses) => {
          const items = new Map<string, TItem>();
          for (const response of responses) {
            const item = kind.itemOf(response) as TItem;
            items.set(kind.nameOf(item), kind.clone(item));
          }
          // Empty answers are not cached: a registration that is about to arrive must be found at once.
          if (items.size > 0 && !chainSignal?.aborted)
            cache.store(key, items, clockOf(ctx).now(), watchersFor(query, ctx, next));
          return from(responses);
        }),
      );
    });
  };
  return { find, cache };
}
