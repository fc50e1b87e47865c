import type { NetworkService, NetworkServiceEndpoint } from '../../api/gen/registry.js';
import type { ContextKey } from '../../chain/context.js';
import { invalidArgument } from '../../chain/errors.js';
import type { NseRegistryElement, NsRegistryElement, RegistryHandler } from '../../chain/registry.js';
import type { ElementOf } from '../../chain/compose.js';
import {
  nsEventFactoryKey,
  nseEventFactoryKey,
  RegistrationEvents,
  type Merge,
  type RegistryEventFactory,
} from './registration-events.js';

type Named = { readonly name: string };

/** The shared implementation: one RegistrationEvents per entry name, every call on a name in FIFO order. */
function registryBegin<TEntry extends Named, TQuery, TResponse>(
  side: 'client' | 'server',
  key: ContextKey<RegistryEventFactory>,
  merge: Merge<TEntry>,
): ElementOf<RegistryHandler<TEntry, TQuery, TResponse>> & { readonly size: number } {
  type Handler = RegistryHandler<TEntry, TQuery, TResponse>;
  type Events = RegistrationEvents<TEntry, TQuery, TResponse>;
  const byName = new Map<string, Events>();
  const obtain = (name: string, ctx: Parameters<Handler['register']>[1], next: Handler): Events => {
    let events = byName.get(name);
    if (events === undefined) {
      const forget = (): void => {
        if (byName.get(name) === created) byName.delete(name);
      };
      const created: Events = new RegistrationEvents(ctx, next, { side, key, merge, forget });
      byName.set(name, created);
      events = created;
    }
    return events;
  };
  const element: ElementOf<Handler> & { readonly size: number } = {
    name: 'registry-begin',
    get size() {
      return byName.size;
    },
    async register(entry, ctx, next) {
      if (entry.name === '')
        throw invalidArgument('REGISTRY_EMPTY_NAME', 'registry-begin: the entry name must not be empty');
      if (ctx.value(key) !== undefined) return next.register(entry, ctx);
      const events = obtain(entry.name, ctx, next);
      return events.executor.run(async () => {
        // Restarted while still holding the old queue, so calls queued behind this one keep their order.
        if (byName.get(entry.name) !== events) return element.register!(entry, ctx, next);
        let response: TEntry;
        try {
          response = await next.register(entry, ctx.with(key, events));
        } catch (error) {
          if (events.state !== 'established') events.markClosed();
          throw error;
        }
        events.established(entry, response, ctx);
        return response;
      });
    },
    async unregister(entry, ctx, next) {
      if (ctx.value(key) !== undefined) return next.unregister(entry, ctx);
      const events = obtain(entry.name, ctx, next);
      return events.executor.run(async () => {
        if (byName.get(entry.name) !== events) return element.unregister!(entry, ctx, next);
        try {
          // Always unregister what was registered, whatever the caller sends.
          await next.unregister(events.registration ?? entry, ctx.with(key, events));
        } finally {
          events.markClosed();
        }
      });
    },
  };
  return element;
}

const mergeNse: Merge<NetworkServiceEndpoint> = (stored, response) => ({
  ...response,
  name: stored.name,
  expirationTime: undefined,
});
const mergeNs: Merge<NetworkService> = (stored, response) => ({ ...response, name: stored.name });

/**
 * Registry `begin` for NSE registrations (server side): serializes Register/Unregister per NSE name,
 * unregisters what was registered, and offers an event factory (`nseEventFactoryOf`) to `expire`.
 * Where in the chain: after updatepath and authorize, before `expire` and the store.
 */
export const beginNseServer = (): NseRegistryElement & { readonly size: number } =>
  registryBegin('server', nseEventFactoryKey, mergeNse);

/** Registry `begin` for NSE registrations (client side), used by refresh and heal to re-register. */
export const beginNseClient = (): NseRegistryElement & { readonly size: number } =>
  registryBegin('client', nseEventFactoryKey, mergeNse);

/** Registry `begin` for NS registrations (server side). */
export const beginNsServer = (): NsRegistryElement & { readonly size: number } =>
  registryBegin('server', nsEventFactoryKey, mergeNs);

/** Registry `begin` for NS registrations (client side). */
export const beginNsClient = (): NsRegistryElement & { readonly size: number } =>
  registryBegin('client', nsEventFactoryKey, mergeNs);
