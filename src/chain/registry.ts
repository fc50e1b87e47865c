/**
 * Registry chains for both registries: NetworkService (NS) and NetworkServiceEndpoint (NSE). Find is an rxjs
 * Observable: without `watch` it completes after the current matches; with `watch` it stays open, emitting
 * changes (deletions with `deleted: true`), until the subscriber unsubscribes or `ctx.signal` aborts.
 * @module
 */
import { EMPTY, type Observable } from 'rxjs';
import type {
  NetworkService,
  NetworkServiceEndpoint,
  NetworkServiceEndpointQuery,
  NetworkServiceEndpointResponse,
  NetworkServiceQuery,
  NetworkServiceResponse,
} from '../api/gen/registry.js';
import { bindAll, composeElements, type ElementOf } from './compose.js';
import type { CallContext } from './context.js';

/** The shape both registries share. */
export interface RegistryHandler<TEntry, TQuery, TResponse> {
  register(entry: TEntry, ctx: CallContext): Promise<TEntry>;
  find(query: TQuery, ctx: CallContext): Observable<TResponse>;
  unregister(entry: TEntry, ctx: CallContext): Promise<void>;
}

export type NsRegistryHandler = RegistryHandler<NetworkService, NetworkServiceQuery, NetworkServiceResponse>;
export type NseRegistryHandler = RegistryHandler<
  NetworkServiceEndpoint,
  NetworkServiceEndpointQuery,
  NetworkServiceEndpointResponse
>;
export type NsRegistryElement = ElementOf<NsRegistryHandler>;
export type NseRegistryElement = ElementOf<NseRegistryHandler>;

/** The method names of both registry handlers. */
export const registryMethods = ['register', 'find', 'unregister'] as const;

/** NSM's registry tail: Register returns its input, Find sends nothing, Unregister does nothing. */
function registryTail<TEntry, TQuery, TResponse>(): RegistryHandler<TEntry, TQuery, TResponse> {
  return {
    register: (entry) => Promise.resolve(entry),
    find: () => EMPTY,
    unregister: () => Promise.resolve(),
  };
}

export const nsRegistryTail: NsRegistryHandler = registryTail();
export const nseRegistryTail: NseRegistryHandler = registryTail();

export function nsRegistryChain(...elements: readonly NsRegistryElement[]): NsRegistryElement {
  return composeElements<NsRegistryHandler>(registryMethods, elements);
}

export function nseRegistryChain(...elements: readonly NseRegistryElement[]): NseRegistryElement {
  return composeElements<NseRegistryHandler>(registryMethods, elements);
}

export function nsRegistryHandler(
  elements: readonly NsRegistryElement[],
  tail: NsRegistryHandler = nsRegistryTail,
): NsRegistryHandler {
  return bindAll<NsRegistryHandler>(registryMethods, elements, tail);
}

export function nseRegistryHandler(
  elements: readonly NseRegistryElement[],
  tail: NseRegistryHandler = nseRegistryTail,
): NseRegistryHandler {
  return bindAll<NseRegistryHandler>(registryMethods, elements, tail);
}
