/**
 * Time as the chain sees it. Elements never call `Date.now()` or `setTimeout` directly: they take the clock
 * from the context (`clockOf(ctx)`) so tests can drive time with `manualClock()` from `testing/`.
 * @module
 */
import { contextKey, type CallContext } from './context.js';

/** A scheduled callback; `cancel()` is idempotent. */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Runs `fn` once after `ms`. System timers are unref'd: a pending timer never keeps the process alive. */
  setTimeout(fn: () => void, ms: number): Timer;
  /** A signal that aborts with a `TimeoutError` DOMException after `ms`. */
  timeoutSignal(ms: number): AbortSignal;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, Math.max(0, ms));
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
  timeoutSignal: (ms) => AbortSignal.timeout(Math.max(0, ms)),
};

const clockKey = contextKey<Clock>('clock');

/** The clock carried by `ctx`, or the system clock. */
export function clockOf(ctx: CallContext): Clock {
  return ctx.value(clockKey) ?? systemClock;
}

/** `ctx` carrying `clock` for every element below. */
export function withClock(ctx: CallContext, clock: Clock): CallContext {
  return ctx.with(clockKey, clock);
}

/** Resolves after `ms` on `clock`, or rejects with the signal's reason when it aborts first. */
export function delay(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      reject(signal?.reason as Error);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
