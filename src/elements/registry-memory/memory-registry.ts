/**
 * The in-memory registry store shared by the NS and NSE registries: entries by name, a Subject of changes that
 * watch Finds follow, and the Find shapes of Go's `memory` servers.
 */
import {
  concat,
  defer,
  EMPTY,
  filter,
  finalize,
  from,
  fromEvent,
  map,
  of,
  Subject,
  takeUntil,
  type Observable,
} from 'rxjs';
import { cloneMessage } from '../../api/clone.js';
import type { CallContext } from '../../chain/context.js';
import type { ElementOf } from '../../chain/compose.js';
import type { RegistryHandler } from '../../chain/registry.js';

/** How one registry's messages look to the shared store. */
export interface RegistryShape<TEntry, TQuery, TResponse> {
  readonly template: (query: TQuery) => TEntry | undefined;
  readonly watch: (query: TQuery) => boolean;
  readonly match: (template: TEntry | undefined, entry: TEntry) => boolean;
  readonly response: (entry: TEntry, deleted: boolean) => TResponse;
  readonly entryOf: (response: TResponse) => TEntry | undefined;
  /** NSE watch calls next Find before streaming; NS watch calls it after the stream ends. */
  readonly nextFindFirst: boolean;
}

/** A memory registry element, with counters for leak checks. */
export type MemoryRegistryElement<TEntry, TQuery, TResponse> = ElementOf<
  RegistryHandler<TEntry, TQuery, TResponse>
> & {
  /** Entries stored. */
  readonly size: number;
  /** Watch Finds currently subscribed. */
  readonly watchers: number;
};

/** Completes when `signal` aborts (at once if it already has). */
function aborted(signal: AbortSignal): Observable<unknown> {
  return signal.aborted ? of(0) : fromEvent(signal, 'abort');
}

/** @internal */
export function memoryRegistry<TEntry extends { readonly name: string }, TQuery, TResponse>(
  shape: RegistryShape<TEntry, TQuery, TResponse>,
): MemoryRegistryElement<TEntry, TQuery, TResponse> {
  const entries = new Map<string, TEntry>();
  const changes = new Subject<TResponse>();
  let watchers = 0;

  const matches = (query: TQuery): TResponse[] => {
    const template = shape.template(query);
    const found: TResponse[] = [];
    for (const entry of entries.values()) {
      if (shape.match(template, entry)) found.push(shape.response(cloneMessage(entry), false));
    }
    return found;
  };

  /** Current matches, then every matching change, until unsubscribed or `ctx.signal` aborts. */
  const live = (query: TQuery, ctx: CallContext): Observable<TResponse> =>
    defer(() => {
      watchers++;
      const template = shape.template(query);
      const changes$ = changes.pipe(
        filter((event) => {
          const entry = shape.entryOf(event);
          return entry !== undefined && shape.match(template, entry);
        }),
        map((event) => cloneMessage(event)),
      );
      return concat(from(matches(query)), changes$).pipe(
        takeUntil(aborted(ctx.signal)),
        finalize(() => watchers--),
      );
    });

  return {
    name: 'registry-memory',
    get size() {
      return entries.size;
    },
    get watchers() {
      return watchers;
    },
    async register(entry, ctx, next) {
      const registered = await next.register(entry, ctx);
      entries.set(registered.name, cloneMessage(registered));
      changes.next(shape.response(cloneMessage(registered), false));
      return registered;
    },
    find(query, ctx, next) {
      const rest = defer(() => next.find(query, ctx));
      if (!shape.watch(query))
        return concat(
          defer(() => from(matches(query))),
          rest,
        );
      if (ctx.signal.aborted) return EMPTY;
      return shape.nextFindFirst ? concat(rest, live(query, ctx)) : concat(live(query, ctx), rest);
    },
    async unregister(entry, ctx, next) {
      const stored = entries.get(entry.name);
      if (stored !== undefined) {
        entries.delete(entry.name);
        changes.next(shape.response(stored, true));
      }
      return next.unregister(entry, ctx);
    },
  };
}
