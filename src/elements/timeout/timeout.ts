import type { Connection, PathSegment } from '../../api/gen/connection.js';
import { msFromTimestamp } from '../../api/timestamp.js';
import { isAbortError, postpone } from '../../chain/cancel.js';
import { clockOf, type Clock } from '../../chain/clock.js';
import type { CallContext } from '../../chain/context.js';
import { Code, StatusError } from '../../chain/errors.js';
import { loggerOf, type Logger } from '../../chain/logger.js';
import { metadataKey, metadataOf } from '../../chain/metadata.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';
import { eventFactoryOf, type EventFactory } from '../begin/index.js';

export interface TimeoutServerOptions {
  /** When it aborts, every pending expiry is cancelled (the chain is shutting down). */
  readonly chainSignal?: AbortSignal | undefined;
}

/** A scheduled expiry Close; `cancel()` stops the timer and skips the Close if it is still queued. */
interface Expiry {
  cancel(): void;
}

const expiryKey = metadataKey<Expiry>('timeout/expiry');

function previousSegment(connection: Connection): PathSegment | undefined {
  const path = connection.path;
  if (path === undefined || path.index < 1) return undefined;
  return path.pathSegments[path.index - 1];
}

function requireEvents(ctx: CallContext): EventFactory {
  const events = eventFactoryOf(ctx);
  if (events !== undefined) return events;
  throw new StatusError(
    Code.INTERNAL,
    'timeout: no begin in context; add beginServer() before timeoutServer()',
    {
      reason: 'TIMEOUT_NO_BEGIN',
    },
  );
}

/**
 * Closes a connection on the server side when its client stops refreshing it: after each successful Request
 * it schedules a Close (through `begin`'s event factory, so it runs the rest of the chain like any Close) at
 * the previous path segment's `expires`, less what was left of the Request's own deadline, so the Close lands
 * before the caller's token really expires. Every Request replaces the schedule; Close cancels it, except
 * when the Close itself was cancelled or timed out, so that expiry still cleans up.
 *
 * A response whose previous segment has no `expires` fails with INVALID_ARGUMENT `TIMEOUT_NO_EXPIRY`; on a
 * first Request the connection is closed downstream first, on a refresh the previous schedule stays.
 *
 * Where in the chain: server chains, after `beginServer`, `updateToken` and `metadata`, before `monitor`.
 * @example
 * const endpoint = networkServiceHandler([updatePathServer(name), beginServer(), updateTokenServer(tokens),
 *   metadata(), timeoutServer({ chainSignal }), ...endpointElements]);
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/timeout
 */
export function timeoutServer(options: TimeoutServerOptions = {}): NetworkServiceElement {
  const { chainSignal } = options;
  const live = new Set<Expiry>();
  chainSignal?.addEventListener('abort', () => [...live].forEach((expiry) => expiry.cancel()), {
    once: true,
  });

  const schedule = (events: EventFactory, clock: Clock, afterMs: number, logger: Logger): Expiry => {
    // Made when the expiry fires: most are cancelled before (a refresh or a Close), and aborting costs a stack.
    let controller: AbortController | undefined;
    const expiry: Expiry = {
      cancel() {
        timer.cancel();
        controller?.abort();
        live.delete(expiry);
      },
    };
    const timer = clock.setTimeout(() => {
      controller = new AbortController();
      void events.close({ cancelSignal: controller.signal }).then((outcome) => {
        live.delete(expiry);
        if (outcome.status === 'failed') {
          logger.log('warn', 'timeout: closing the expired connection failed', {
            error: outcome.error,
          });
        }
      });
    }, afterMs);
    live.add(expiry);
    if (chainSignal?.aborted) expiry.cancel();
    return expiry;
  };

  return {
    name: 'timeout',
    async request(request, ctx, next) {
      const serverMetadata = metadataOf(ctx, 'server');
      const events = requireEvents(ctx);
      const clock = clockOf(ctx);
      const requestTimeoutMs = ctx.remainingMs(clock.now()) ?? 0;
      const closeContext = postpone(ctx);
      const connection = await next.request(request, ctx);
      const expires = previousSegment(connection)?.expires;
      if (expires === undefined) {
        if (serverMetadata.get(expiryKey) === undefined) {
          const scope = closeContext();
          await next
            .close(connection, scope.ctx)
            .catch(() => undefined)
            .finally(scope.cancel);
        }
        throw new StatusError(Code.INVALID_ARGUMENT, 'timeout: the previous path segment has no expires', {
          reason: 'TIMEOUT_NO_EXPIRY',
        });
      }
      const afterMs = msFromTimestamp(expires) - clock.now() - requestTimeoutMs;
      serverMetadata.take(expiryKey)?.cancel();
      // The logger, not the context: a pending expiry must not keep the Request's context alive.
      serverMetadata.set(expiryKey, schedule(events, clock, afterMs, loggerOf(ctx)));
      return connection;
    },
    async close(connection, ctx, next) {
      const serverMetadata = metadataOf(ctx, 'server');
      let keep = false;
      try {
        await next.close(connection, ctx);
      } catch (error) {
        keep = isAbortError(error) || ctx.signal.aborted;
        throw error;
      } finally {
        if (!keep) serverMetadata.take(expiryKey)?.cancel();
      }
    },
  };
}
