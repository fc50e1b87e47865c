/**
 * A small in-memory registry for e2e tests, generic over both registries: Register upserts by name and tells
 * watchers; Unregister deletes and tells watchers with `deleted: true`; Find sends the current matches by name
 * (an empty template name matches all) and completes, or with `watch` keeps sending changes until the
 * subscriber unsubscribes or `ctx.signal` aborts.
 */
import { Observable } from 'rxjs';
import type { CallContext } from '../../../src/chain/context.js';
import type { NseRegistryHandler, NsRegistryHandler, RegistryHandler } from '../../../src/chain/registry.js';
import type {
  NetworkService,
  NetworkServiceEndpoint,
  NetworkServiceEndpointResponse,
  NetworkServiceResponse,
  NetworkServiceEndpointQuery,
  NetworkServiceQuery,
} from '../../../src/api/gen/registry.js';

export interface RegistryShape<TEntry, TQuery, TResponse> {
  nameOf(entry: TEntry): string;
  templateOf(query: TQuery): TEntry | undefined;
  watchOf(query: TQuery): boolean;
  response(entry: TEntry, deleted: boolean): TResponse;
  clone(entry: TEntry): TEntry;
}

export interface MemoryRegistry<TEntry, TQuery, TResponse> extends RegistryHandler<
  TEntry,
  TQuery,
  TResponse
> {
  readonly entries: ReadonlyMap<string, TEntry>;
  /** Open watch streams. */
  readonly watchers: number;
  /** Find streams torn down so far (completed, unsubscribed or cancelled). */
  readonly teardowns: number;
  /** The ctx of every Find call, in order. */
  readonly findContexts: readonly CallContext[];
  /** Resolves at the next Find teardown. */
  nextTeardown(): Promise<void>;
  /** Resolves once a watch stream has subscribed (i.e. the initial matches were sent). */
  nextWatch(): Promise<void>;
}

export function memoryRegistry<TEntry, TQuery, TResponse>(
  shape: RegistryShape<TEntry, TQuery, TResponse>,
): MemoryRegistry<TEntry, TQuery, TResponse> {
  const entries = new Map<string, TEntry>();
  const watchers = new Set<(entry: TEntry, deleted: boolean) => void>();
  const findContexts: CallContext[] = [];
  let teardowns = 0;
  let teardownWaiters: (() => void)[] = [];
  let watchWaiters: (() => void)[] = [];
  const notify = (entry: TEntry, deleted: boolean): void => {
    for (const watcher of [...watchers]) watcher(entry, deleted);
  };
  const matches = (template: TEntry | undefined, entry: TEntry): boolean => {
    const name = template === undefined ? '' : shape.nameOf(template);
    return name === '' || name === shape.nameOf(entry);
  };
  return {
    entries,
    get watchers() {
      return watchers.size;
    },
    get teardowns() {
      return teardowns;
    },
    findContexts,
    nextTeardown: () => new Promise((resolve) => teardownWaiters.push(resolve)),
    nextWatch: () => new Promise((resolve) => watchWaiters.push(resolve)),
    register(entry) {
      const stored = shape.clone(entry);
      entries.set(shape.nameOf(stored), stored);
      notify(stored, false);
      return Promise.resolve(shape.clone(stored));
    },
    unregister(entry) {
      const stored = entries.get(shape.nameOf(entry));
      if (stored !== undefined) {
        entries.delete(shape.nameOf(entry));
        notify(stored, true);
      }
      return Promise.resolve();
    },
    find(query, ctx) {
      findContexts.push(ctx);
      const template = shape.templateOf(query);
      return new Observable<TResponse>((subscriber) => {
        const onAbort = (): void => subscriber.complete();
        const watcher = (entry: TEntry, deleted: boolean): void => {
          if (matches(template, entry)) subscriber.next(shape.response(shape.clone(entry), deleted));
        };
        for (const entry of entries.values()) {
          if (matches(template, entry)) subscriber.next(shape.response(shape.clone(entry), false));
        }
        if (!shape.watchOf(query)) {
          subscriber.complete();
        } else {
          watchers.add(watcher);
          ctx.signal.addEventListener('abort', onAbort, { once: true });
          const waiting = watchWaiters;
          watchWaiters = [];
          for (const resolve of waiting) resolve();
        }
        return () => {
          watchers.delete(watcher);
          ctx.signal.removeEventListener('abort', onAbort);
          teardowns++;
          const waiting = teardownWaiters;
          teardownWaiters = [];
          for (const resolve of waiting) resolve();
        };
      });
    },
  };
}

export type NseMemoryRegistry = MemoryRegistry<
  NetworkServiceEndpoint,
  NetworkServiceEndpointQuery,
  NetworkServiceEndpointResponse
> &
  NseRegistryHandler;
export type NsMemoryRegistry = MemoryRegistry<NetworkService, NetworkServiceQuery, NetworkServiceResponse> &
  NsRegistryHandler;

export function nseMemoryRegistry(): NseMemoryRegistry {
  return memoryRegistry({
    nameOf: (nse: NetworkServiceEndpoint) => nse.name,
    templateOf: (query: NetworkServiceEndpointQuery) => query.networkServiceEndpoint,
    watchOf: (query: NetworkServiceEndpointQuery) => query.watch,
    response: (nse: NetworkServiceEndpoint, deleted: boolean): NetworkServiceEndpointResponse => ({
      networkServiceEndpoint: nse,
      deleted,
    }),
    clone: (nse: NetworkServiceEndpoint) => structuredClone(nse),
  });
}

export function nsMemoryRegistry(): NsMemoryRegistry {
  return memoryRegistry({
    nameOf: (ns: NetworkService) => ns.name,
    templateOf: (query: NetworkServiceQuery) => query.networkService,
    watchOf: (query: NetworkServiceQuery) => query.watch,
    response: (ns: NetworkService, deleted: boolean): NetworkServiceResponse => ({
      networkService: ns,
      deleted,
    }),
    clone: (ns: NetworkService) => structuredClone(ns),
  });
}
