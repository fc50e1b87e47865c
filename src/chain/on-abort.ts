/**
 * Abort listeners in O(1). An AbortSignal keeps its listeners in a list, so removing one scans them all; a
 * chain signal that every live connection listens on (cancel scopes, monitor streams) then costs O(n) per
 * Close and O(n²) over n connections. `onAbort` puts one real listener on each signal and keeps the callers'
 * listeners in a Set behind it.
 * @module
 */

const fanOuts = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `listener` once when `signal` aborts (never, if it already has: like `addEventListener`); returns the
 * function that removes it. A listener that throws is reported as an uncaught exception after the others ran.
 */
export function onAbort(signal: AbortSignal, listener: () => void): () => void {
  if (signal.aborted) return () => undefined;
  let listeners = fanOuts.get(signal);
  if (listeners === undefined) {
    const created = new Set<() => void>();
    listeners = created;
    fanOuts.set(signal, created);
    signal.addEventListener(
      'abort',
      () => {
        fanOuts.delete(signal);
        for (const call of [...created]) {
          // One removed by an earlier listener does not run, as with addEventListener.
          if (!created.has(call)) continue;
          try {
            call();
          } catch (error) {
            queueMicrotask(() => {
              throw error;
            });
          }
        }
        created.clear();
      },
      { once: true },
    );
  }
  // A wrapper per call, so the same function added twice is removed once per remover.
  const entry = (): void => listener();
  listeners.add(entry);
  const registered = listeners;
  return () => void registered.delete(entry);
}

/** How many `onAbort` listeners wait on `signal` (for leak checks). */
export function abortListenerCount(signal: AbortSignal): number {
  return fanOuts.get(signal)?.size ?? 0;
}
