/**
 * The healing watch Find (Go `heal` find clients): a caller's watch survives a restart of the next hop by
 * opening the stream again whenever it ends or fails, until the caller stops.
 */
import { defer, Observable, type Subscription } from 'rxjs';
import { cloneMessage } from '../../api/clone.js';
import { clockOf, type Timer } from '../../chain/clock.js';
import type { CallContext, ContextKey } from '../../chain/context.js';
import { loggerOf } from '../../chain/logger.js';

/** How long to wait before opening a broken watch again, in ms. */
export const reopenDelayMs = 100;

/** @internal */
export function healingFind<TQuery, TResponse>(
  query: TQuery,
  ctx: CallContext,
  open: (query: TQuery, ctx: CallContext) => Observable<TResponse>,
  options: { readonly healingKey: ContextKey<true>; readonly chainSignal: AbortSignal | undefined },
): Observable<TResponse> {
  const template = cloneMessage(query);
  return new Observable<TResponse>((subscriber) => {
    const clock = clockOf(ctx);
    const stop =
      options.chainSignal === undefined ? ctx.signal : AbortSignal.any([ctx.signal, options.chainSignal]);
    const inner = ctx.with(options.healingKey, true);
    let stream: Subscription | undefined;
    let timer: Timer | undefined;
    const end = (): void => subscriber.complete();
    const reopenLater = (error?: unknown): void => {
      if (stop.aborted) return end();
      loggerOf(ctx).log('debug', 'registry-heal: watch ended; opening it again', { error });
      timer = clock.setTimeout(openStream, reopenDelayMs);
    };
    function openStream(): void {
      timer = undefined;
      if (stop.aborted) return end();
      stream = defer(() => open(cloneMessage(template), inner)).subscribe({
        next: (response) => subscriber.next(response),
        error: reopenLater,
        complete: () => reopenLater(),
      });
    }
    stop.addEventListener('abort', end, { once: true });
    openStream();
    return () => {
      stop.removeEventListener('abort', end);
      timer?.cancel();
      stream?.unsubscribe();
    };
  });
}
