/** The data-plane liveness probe heal runs (Go's `LivenessCheck` called with a deadline context). */
import { cloneMessage } from '../../api/clone.js';
import type { Connection } from '../../api/gen/connection.js';
import { withCancel } from '../../chain/cancel.js';
import type { CallContext } from '../../chain/context.js';

/**
 * Checks that the data plane of `connection` still carries traffic. It gets a context that aborts after
 * `livenessCheckTimeoutMs`; resolving `false`, rejecting, or not answering before that abort all count as dead.
 */
export type LivenessCheck = (ctx: CallContext, connection: Connection) => Promise<boolean>;

/** Runs `check` once with a `timeoutMs` deadline on the clock of `ctx`; true only for an in-time `true`. */
export async function probeLiveness(
  check: LivenessCheck,
  ctx: CallContext,
  connection: Connection,
  timeoutMs: number,
): Promise<boolean> {
  const scope = withCancel(ctx, timeoutMs);
  const signal = scope.ctx.signal;
  if (signal.aborted) {
    scope.cancel();
    return false;
  }
  let onAbort: (() => void) | undefined;
  try {
    const timedOut = new Promise<boolean>((resolve) => {
      onAbort = () => resolve(false);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const answer = (async () => (await check(scope.ctx, cloneMessage(connection))) === true)();
    return await Promise.race([answer.catch(() => false), timedOut]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    scope.cancel();
  }
}
