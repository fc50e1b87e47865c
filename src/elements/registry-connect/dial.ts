/**
 * Registry `dial` (Go `registry/common/dial` with `clientconn`): connects to the URL in the context and hands
 * the connection to `connect`. One connection per URL, shared and reference-counted: each registered name holds
 * one reference until it unregisters, each call and each Find holds one while it runs.
 */
import { defer, Observable, type Subscription } from 'rxjs';
import { postpone } from '../../chain/cancel.js';
import { clientUrlOf, withClientUrl } from '../../chain/client-url.js';
import type { CallContext } from '../../chain/context.js';
import type { ElementOf } from '../../chain/compose.js';
import type { Dialer } from '../../chain/peer.js';
import type { RegistryHandler } from '../../chain/registry.js';
import { withRegistryPeer } from './peer-context.js';
import { PeerPool, type PeerHold } from './peers.js';

/** @internal */
export interface DialSettings {
  readonly dialer: Dialer;
  readonly dialTimeoutMs: number;
  readonly chainSignal: AbortSignal | undefined;
}

/** @internal */
export type DialElement<TEntry, TQuery, TResponse> = ElementOf<RegistryHandler<TEntry, TQuery, TResponse>> & {
  /** Connections open now. */
  readonly connections: number;
};

/** @internal The shared NS/NSE implementation. */
export function registryDial<TEntry extends { readonly name: string }, TQuery, TResponse>(
  settings: DialSettings,
): DialElement<TEntry, TQuery, TResponse> {
  type Handler = RegistryHandler<TEntry, TQuery, TResponse>;
  const pool = new PeerPool(settings.dialer, settings.dialTimeoutMs);
  /** The connection each registered name holds. */
  const held = new Map<string, PeerHold>();
  settings.chainSignal?.addEventListener(
    'abort',
    () => {
      held.clear();
      pool.close();
    },
    { once: true },
  );

  const letGo = (name: string): void => {
    const hold = held.get(name);
    held.delete(name);
    if (hold !== undefined) pool.release(hold);
  };

  /** The name moved to another URL: unregister it at the old one first, as Go's dial does. */
  const leave = async (entry: TEntry, old: PeerHold, ctx: CallContext, next: Handler): Promise<void> => {
    const scope = postpone(ctx)();
    try {
      await next.unregister(entry, withRegistryPeer(withClientUrl(scope.ctx, old.url), old.peer));
    } catch {
      // The old registry may be gone; its registration then expires there.
    } finally {
      scope.cancel();
      letGo(entry.name);
    }
  };

  return {
    name: 'registry-dial',
    get connections() {
      return pool.size;
    },
    async register(entry, ctx, next) {
      const url = clientUrlOf(ctx);
      if (url === undefined) return next.register(entry, ctx);
      const old = held.get(entry.name);
      if (old !== undefined && old.url !== url) await leave(entry, old, ctx, next);
      const hold = await pool.acquire(url);
      try {
        const response = await next.register(entry, withRegistryPeer(ctx, hold.peer));
        const previous = held.get(entry.name);
        held.set(entry.name, hold);
        if (previous !== undefined) pool.release(previous);
        return response;
      } catch (error) {
        pool.invalidateOn(hold, error);
        pool.release(hold);
        throw error;
      }
    },
    find(query, ctx, next): Observable<TResponse> {
      const url = clientUrlOf(ctx);
      if (url === undefined) return next.find(query, ctx);
      return new Observable<TResponse>((subscriber) => {
        let hold: PeerHold | undefined;
        let inner: Subscription | undefined;
        let over = false;
        const open = (acquired: PeerHold): void => {
          if (over) return pool.release(acquired);
          hold = acquired;
          inner = defer(() => next.find(query, withRegistryPeer(ctx, acquired.peer))).subscribe({
            next: (response) => subscriber.next(response),
            error: (error: unknown) => {
              pool.invalidateOn(acquired, error);
              subscriber.error(error);
            },
            complete: () => subscriber.complete(),
          });
        };
        pool.acquire(url).then(open, (error: unknown) => subscriber.error(error));
        return () => {
          over = true;
          inner?.unsubscribe();
          if (hold !== undefined) pool.release(hold);
          hold = undefined;
        };
      });
    },
    async unregister(entry, ctx, next) {
      const url = clientUrlOf(ctx);
      if (url === undefined) return next.unregister(entry, ctx);
      let hold: PeerHold | undefined;
      try {
        hold = await pool.acquire(url);
        await next.unregister(entry, withRegistryPeer(ctx, hold.peer));
      } finally {
        if (hold !== undefined) pool.release(hold);
        letGo(entry.name);
      }
    },
  };
}
