/**
 * Registry `retry` (Go `registry/common/retry`): Register and Unregister are tried again after an interval until
 * they succeed or the caller gives up; a Find is tried again while its stream has not started.
 */
import { defer, Observable, retry, tap, throwError } from 'rxjs';
import { cloneMessage } from '../../api/clone.js';
import { withCancel } from '../../chain/cancel.js';
import { clockOf, delay, type Clock } from '../../chain/clock.js';
import type { CallContext } from '../../chain/context.js';
import type { ElementOf } from '../../chain/compose.js';
import { loggerOf } from '../../chain/logger.js';
import type { RegistryHandler } from '../../chain/registry.js';

/** @internal */
export interface RetrySettings {
  readonly tryTimeoutMs: number;
  readonly intervalMs: number;
  readonly chainSignal: AbortSignal | undefined;
}

/** Emits once after `ms` on `clock`; completes without emitting when `signal` aborts first. */
function after(clock: Clock, ms: number, signal: AbortSignal): Observable<void> {
  return new Observable<void>((subscriber) => {
    if (signal.aborted) return subscriber.complete();
    const onAbort = (): void => subscriber.complete();
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = clock.setTimeout(() => {
      subscriber.next();
      subscriber.complete();
    }, ms);
    return () => {
      timer.cancel();
      signal.removeEventListener('abort', onAbort);
    };
  });
}

/** @internal The shared NS/NSE implementation. */
export function registryRetry<TEntry, TQuery, TResponse>(
  settings: RetrySettings,
): ElementOf<RegistryHandler<TEntry, TQuery, TResponse>> {
  const { tryTimeoutMs, intervalMs, chainSignal } = settings;
  const stopSignal = (ctx: CallContext): AbortSignal =>
    chainSignal === undefined ? ctx.signal : AbortSignal.any([ctx.signal, chainSignal]);

  /** Runs `attempt` with a per-try timeout until it succeeds; aborts of `ctx` pass through as they are. */
  async function untilDone<TResult>(
    method: string,
    ctx: CallContext,
    attempt: (ctx: CallContext) => Promise<TResult>,
  ): Promise<TResult> {
    const clock = clockOf(ctx);
    for (;;) {
      ctx.throwIfAborted();
      const scope = withCancel(ctx, tryTimeoutMs, clock);
      let failure: unknown;
      try {
        return await attempt(scope.ctx);
      } catch (error) {
        failure = error;
      } finally {
        scope.cancel();
      }
      ctx.throwIfAborted();
      if (chainSignal?.aborted) throw failure;
      loggerOf(ctx).log('warn', `registry-retry: ${method} failed; trying again`, { error: failure });
      await delay(clock, intervalMs, stopSignal(ctx)).catch(() => {
        ctx.throwIfAborted();
        throw failure;
      });
    }
  }

  return {
    name: 'registry-retry',
    register: (entry, ctx, next) => untilDone('Register', ctx, (c) => next.register(cloneMessage(entry), c)),
    unregister: (entry, ctx, next) =>
      untilDone('Unregister', ctx, (c) => next.unregister(cloneMessage(entry), c)),
    find(query, ctx, next) {
      return defer(() => {
        let started = false;
        return defer(() => next.find(cloneMessage(query), ctx)).pipe(
          tap(() => {
            started = true;
          }),
          retry({
            delay: (error: unknown) => {
              const stop = stopSignal(ctx);
              if (started || stop.aborted) return throwError(() => error);
              loggerOf(ctx).log('warn', 'registry-retry: Find failed; trying again', { error });
              return after(clockOf(ctx), intervalMs, stop);
            },
          }),
        );
      });
    },
  };
}
