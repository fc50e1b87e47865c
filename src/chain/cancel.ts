/**
 * Derived contexts: cancel scopes, timeouts on the injected clock, and Go's `postpone` (a fresh context with
 * the same timeout length as the original, for work that must run after the original call ended).
 * @module
 */
import { setMaxListeners } from 'node:events';
import { clockOf, type Clock } from './clock.js';
import { CallContext } from './context.js';
import { onAbort } from './on-abort.js';

/** A derived context and the function that cancels it (and frees its timer and listener). */
export interface CancelScope {
  readonly ctx: CallContext;
  readonly cancel: (reason?: unknown) => void;
}

function timeoutError(): DOMException {
  return new DOMException('deadline exceeded', 'TimeoutError');
}

/** One shared reason for every plain cancel: building a DOMException (and its stack) per scope is costly. */
const cancelled = new DOMException('cancelled', 'AbortError');

/**
 * A child of `ctx` that is cancelled when `ctx` is, when `cancel()` is called, or after `timeoutMs` on the
 * clock carried by `ctx` (when given). Always call `cancel()` when done so the parent listener is removed.
 */
export function withCancel(ctx: CallContext, timeoutMs?: number, clock: Clock = clockOf(ctx)): CancelScope {
  const controller = new AbortController();
  // One scope often serves many concurrent calls, each listening for its abort.
  setMaxListeners(0, controller.signal);
  const parent = ctx.signal;
  const onParentAbort = (): void => controller.abort(parent.reason);
  let deadline = ctx.deadline;
  let timer: { cancel(): void } | undefined;
  let detach = (): void => undefined;
  if (parent.aborted) {
    controller.abort(parent.reason);
  } else {
    detach = onAbort(parent, onParentAbort);
    if (timeoutMs !== undefined) {
      const at = clock.now() + timeoutMs;
      deadline = deadline === undefined ? at : Math.min(deadline, at);
      timer = clock.setTimeout(() => controller.abort(timeoutError()), timeoutMs);
    }
  }
  const cancel = (reason?: unknown): void => {
    detach();
    timer?.cancel();
    if (!controller.signal.aborted) controller.abort(reason ?? cancelled);
  };
  controller.signal.addEventListener('abort', () => cancel(), { once: true });
  return { ctx: ctx.withSignal(controller.signal, deadline), cancel };
}

/**
 * Go's `postpone.Context`: remembers how much time `ctx` had left now, and returns a factory of fresh contexts
 * (not cancelled by `ctx`) with that same timeout length and the values of `ctx`. No deadline stays none.
 */
export function postpone(ctx: CallContext): () => CancelScope {
  const clock = clockOf(ctx);
  const timeoutMs = ctx.remainingMs(clock.now());
  return () => withCancel(CallContext.background().withValuesOf(ctx), timeoutMs, clock);
}

/** True when `err` is the abort of a cancelled or timed-out context, which elements pass on untouched. */
export function isAbortError(err: unknown): boolean {
  return err instanceof DOMException && (err.name === 'AbortError' || err.name === 'TimeoutError');
}
