/**
 * Registry `heal` (Go `registry/common/heal`): after a registration, a watch on its own name through the rest of
 * the chain; when that watch fails (the next hop restarted), the registration is sent again.
 */
import { defer, type Subscription } from 'rxjs';
import { cloneMessage } from '../../api/clone.js';
import { withCancel, type CancelScope } from '../../chain/cancel.js';
import { CallContext, type ContextKey } from '../../chain/context.js';
import type { ElementOf } from '../../chain/compose.js';
import { Code, StatusError } from '../../chain/errors.js';
import { loggerOf } from '../../chain/logger.js';
import type { RegistryHandler } from '../../chain/registry.js';
import type { RegistryEventFactory } from '../registry-begin/index.js';
import { healingFind } from './heal-find.js';

/** @internal What differs between the NS and NSE registries. */
export interface HealSpec<TQuery> {
  readonly factoryOf: (ctx: CallContext) => RegistryEventFactory | undefined;
  readonly nameQuery: (name: string) => TQuery;
  readonly isWatch: (query: TQuery) => boolean;
  /** Marks Finds this element opened, so a heal further down does not wrap them again. */
  readonly healingKey: ContextKey<true>;
  readonly chainSignal: AbortSignal | undefined;
}

interface Watch {
  readonly scope: CancelScope;
  subscription: Subscription | undefined;
}

/** @internal */
export function registryHeal<TEntry extends { readonly name: string }, TQuery, TResponse>(
  spec: HealSpec<TQuery>,
): ElementOf<RegistryHandler<TEntry, TQuery, TResponse>> & { readonly size: number } {
  const watches = new Map<string, Watch>();
  const stop = (name: string): void => {
    const watch = watches.get(name);
    if (watch === undefined) return;
    watches.delete(name);
    watch.scope.cancel();
    watch.subscription?.unsubscribe();
  };
  spec.chainSignal?.addEventListener('abort', () => [...watches.keys()].forEach(stop), { once: true });

  return {
    name: 'registry-heal',
    get size() {
      return watches.size;
    },
    async register(entry, ctx, next) {
      const factory = spec.factoryOf(ctx);
      if (factory === undefined) {
        throw new StatusError(Code.INTERNAL, 'registry-heal: no registry begin before this element', {
          reason: 'REGISTRY_HEAL_NO_BEGIN',
        });
      }
      const response = await next.register(cloneMessage(entry), ctx);
      stop(entry.name);
      if (spec.chainSignal?.aborted) return response;
      // The watch outlives this call: it ends on Unregister, on the next Register or with the chain.
      const scope = withCancel(CallContext.of({ signal: spec.chainSignal }).withValuesOf(ctx));
      const watch: Watch = { scope, subscription: undefined };
      watches.set(entry.name, watch);
      const lost = (error: unknown): void => {
        if (scope.ctx.signal.aborted) return;
        loggerOf(ctx).log('info', 'registry-heal: registration watch failed; registering again', {
          name: entry.name,
          error,
        });
        void factory.register({ cancelSignal: scope.ctx.signal });
      };
      const watchCtx = scope.ctx.with(spec.healingKey, true);
      watch.subscription = defer(() => next.find(spec.nameQuery(entry.name), watchCtx)).subscribe({
        error: lost,
      });
      return response;
    },
    find(query, ctx, next) {
      if (!spec.isWatch(query) || ctx.value(spec.healingKey) === true) return next.find(query, ctx);
      return healingFind(query, ctx, (q, c) => next.find(q, c), spec);
    },
    async unregister(entry, ctx, next) {
      stop(entry.name);
      return next.unregister(entry, ctx);
    },
  };
}
