/**
 * The endpoint's idle timeout (Go `common/onidle`): after `timeoutMs` with no connection, `notify` is called
 * once and later Requests fail. A new connection stops the timer; the Close of the last one starts it again.
 * @module
 */
import { systemClock, type Clock, type Timer } from '../chain/clock.js';
import { Code, StatusError } from '../chain/errors.js';
import type { NetworkServiceElement } from '../chain/network-service.js';

export interface OnIdleOptions {
  /** Idle time before `notify`, in ms; more than 0. */
  readonly timeoutMs: number;
  /** Called once, when the endpoint has been idle for `timeoutMs` (e.g. to stop the process). */
  readonly notify: () => void;
  /** Stops the timer for good when aborted. */
  readonly chainSignal: AbortSignal;
  /** Default: the system clock. */
  readonly clock?: Clock;
}

/**
 * Errors: UNAVAILABLE `ONIDLE_EXPIRED` for a Request after the timeout fired.
 *
 * Where in the chain: in an endpoint, right after the common endpoint elements (before IPAM).
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/onidle
 */
export function onIdleServer(options: OnIdleOptions): NetworkServiceElement {
  const { timeoutMs, notify, chainSignal, clock = systemClock } = options;
  const active = new Set<string>();
  let fired = false;
  let timer: Timer | undefined;
  const arm = (): void => {
    timer?.cancel();
    timer = clock.setTimeout(() => {
      if (chainSignal.aborted || fired || active.size > 0) return;
      fired = true;
      notify();
    }, timeoutMs);
  };
  arm();
  chainSignal.addEventListener('abort', () => timer?.cancel(), { once: true });
  const remove = (id: string): void => {
    if (active.delete(id) && active.size === 0 && !chainSignal.aborted) arm();
  };
  return {
    name: 'onidle',
    async request(request, ctx, next) {
      if (fired) {
        throw new StatusError(Code.UNAVAILABLE, 'onidle: endpoint expired', { reason: 'ONIDLE_EXPIRED' });
      }
      const id = request.connection?.id ?? '';
      const refresh = active.has(id);
      if (!refresh) {
        active.add(id);
        timer?.cancel();
      }
      try {
        return await next.request(request, ctx);
      } catch (error) {
        if (!refresh) remove(id);
        throw error;
      }
    },
    async close(connection, ctx, next) {
      remove(connection.id);
      return next.close(connection, ctx);
    },
  };
}
