import { cloneMessage } from '../../api/clone.js';
import { withCancel } from '../../chain/cancel.js';
import { clockOf, delay } from '../../chain/clock.js';
import type { CallContext } from '../../chain/context.js';
import { Code, ConfigError, StatusError } from '../../chain/errors.js';
import { loggerOf } from '../../chain/logger.js';
import type { NetworkServiceHandler } from '../../chain/network-service.js';

export interface RetryClientOptions {
  /** How long one attempt may take before it is abandoned and retried. Default: 15000. */
  readonly tryTimeoutMs?: number;
  /** The wait between a failed attempt and the next one, on the context's clock. Default: 200. */
  readonly intervalMs?: number;
}

function checkedMs(name: string, value: number, allowZero: boolean): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new ConfigError(
      `retry: ${name} must be a finite number ${allowZero ? '>= 0' : '> 0'}, got ${value}`,
    );
  }
  return value;
}

/**
 * Wraps a whole client so that Request and Close are tried again until they succeed or the caller's context
 * ends. Each attempt gets a copy of the input and its own `tryTimeoutMs` scope; after a failure it waits
 * `intervalMs`. When the caller cancels, the abort reason is thrown; when its deadline passes after failed
 * attempts, a DEADLINE_EXCEEDED StatusError (reason RETRY_DEADLINE_EXCEEDED) carries the last failure as its
 * cause, so the caller learns why. With a context that never ends, a failing call is retried forever, as in NSM.
 *
 * Where in the chain: around a complete client (`retryClient(networkServiceHandler([...clientElements]))`),
 * not as an element. Events from `refresh` and `heal` start at `begin` inside it, so they are not retried here.
 * @example
 * const nsc = retryClient(networkServiceHandler(clientElements), { tryTimeoutMs: 5000 });
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/retry
 */
/**
 * The caller's deadline ran out while attempts kept failing: say why they failed (DEADLINE_EXCEEDED with the
 * last error as cause) instead of a bare timeout. A cancel, or a deadline with no failed attempt, is passed on.
 */
function gaveUp(abort: unknown, lastError: unknown, method: string, attempts: number): unknown {
  const timedOut = abort instanceof DOMException && abort.name === 'TimeoutError';
  if (!timedOut || lastError === undefined) return abort;
  const why = lastError instanceof Error ? lastError.message : JSON.stringify(lastError);
  return new StatusError(
    Code.DEADLINE_EXCEEDED,
    `retry: ${method} gave up after ${attempts} attempt(s): ${why}`,
    {
      reason: 'RETRY_DEADLINE_EXCEEDED',
      cause: lastError,
    },
  );
}

export function retryClient(
  client: NetworkServiceHandler,
  options: RetryClientOptions = {},
): NetworkServiceHandler {
  if (typeof client?.request !== 'function' || typeof client.close !== 'function') {
    throw new ConfigError('retry: client must be a NetworkServiceHandler');
  }
  const tryTimeoutMs = checkedMs('tryTimeoutMs', options.tryTimeoutMs ?? 15_000, false);
  const intervalMs = checkedMs('intervalMs', options.intervalMs ?? 200, true);

  const retrying = async <TResult>(
    method: string,
    ctx: CallContext,
    attempt: (ctx: CallContext) => Promise<TResult>,
  ): Promise<TResult> => {
    const clock = clockOf(ctx);
    let lastError: unknown;
    let attempts = 0;
    for (;;) {
      try {
        ctx.throwIfAborted();
        const scope = withCancel(ctx, tryTimeoutMs, clock);
        try {
          attempts++;
          return await attempt(scope.ctx);
        } catch (error) {
          if (ctx.signal.aborted) throw ctx.signal.reason;
          lastError = error;
          loggerOf(ctx).log('warn', `retry: ${method} attempt failed`, { error });
        } finally {
          scope.cancel();
        }
        await delay(clock, intervalMs, ctx.signal);
      } catch (abort) {
        throw gaveUp(abort, lastError, method, attempts);
      }
    }
  };

  return {
    request: (request, ctx) =>
      retrying('request', ctx, (attemptCtx) => client.request(cloneMessage(request), attemptCtx)),
    close: (connection, ctx) =>
      retrying('close', ctx, (attemptCtx) => client.close(cloneMessage(connection), attemptCtx)),
  };
}
