/** Registry `refresh` (Go `registry/common/refresh`): re-registration before expiry. */
import { msFromTimestamp } from '../../api/timestamp.js';
import { clockOf, type Timer } from '../../chain/clock.js';
import { Code, StatusError } from '../../chain/errors.js';
import type { NseRegistryElement } from '../../chain/registry.js';
import { nseEventFactoryOf } from '../registry-begin/index.js';

export interface RefreshNseClientOptions {
  /** Stops every scheduled refresh when it aborts. Default: none. */
  readonly chainSignal?: AbortSignal;
}

interface Scheduled {
  readonly timer: Timer;
  /** Aborted when replaced or stopped, so a refresh already queued in `begin` is skipped. */
  readonly controller: AbortController;
}

/**
 * After each successful Register whose response has an `expirationTime`, schedules a re-Register through the
 * registry `begin` event factory at 2/3 of the time left until then (on `clockOf(ctx)`), replacing the name's
 * earlier schedule. The re-Register passes through here again and schedules the next one. Unregister and
 * `chainSignal` stop it.
 *
 * Where in the chain: in a registry client chain after `begin` (required: without it Register fails with
 * REGISTRY_REFRESH_NO_BEGIN), `retry` and `heal`, before `dial`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/refresh
 */
export function refreshNseClient(
  options: RefreshNseClientOptions = {},
): NseRegistryElement & { readonly size: number } {
  const { chainSignal } = options;
  const scheduled = new Map<string, Scheduled>();
  const stop = (name: string): void => {
    const entry = scheduled.get(name);
    if (entry === undefined) return;
    scheduled.delete(name);
    entry.timer.cancel();
    entry.controller.abort();
  };
  chainSignal?.addEventListener('abort', () => [...scheduled.keys()].forEach(stop), { once: true });

  return {
    name: 'registry-refresh',
    get size() {
      return scheduled.size;
    },
    async register(nse, ctx, next) {
      const factory = nseEventFactoryOf(ctx);
      if (factory === undefined) {
        throw new StatusError(Code.INTERNAL, 'registry-refresh: no registry begin before this element', {
          reason: 'REGISTRY_REFRESH_NO_BEGIN',
        });
      }
      const response = await next.register(nse, ctx);
      stop(nse.name);
      if (response.expirationTime === undefined || chainSignal?.aborted) return response;
      const clock = clockOf(ctx);
      const leftMs = msFromTimestamp(response.expirationTime) - clock.now();
      const controller = new AbortController();
      const timer = clock.setTimeout(
        () => {
          void factory.register({ cancelSignal: controller.signal });
        },
        (leftMs * 2) / 3,
      );
      scheduled.set(nse.name, { timer, controller });
      return response;
    },
    async unregister(nse, ctx, next) {
      stop(nse.name);
      return next.unregister(nse, ctx);
    },
  };
}
