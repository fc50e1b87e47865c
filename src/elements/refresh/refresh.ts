import { clockOf, type Clock } from '../../chain/clock.js';
import type { CallContext } from '../../chain/context.js';
import { Code, StatusError } from '../../chain/errors.js';
import { loggerOf } from '../../chain/logger.js';
import { metadataKey, metadataOf } from '../../chain/metadata.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';
import { eventFactoryOf, type EventFactory } from '../begin/index.js';
import { refreshAfterMs } from './refresh-after.js';

export interface RefreshClientOptions {
  /** When it aborts, every scheduled refresh stops (the client is shutting down). */
  readonly chainSignal?: AbortSignal | undefined;
}

/** The wait before trying a failed refresh again. */
const retryIntervalMs = 200;

/** A connection's refresh loop; `cancel()` stops its timer and skips a refresh still queued in `begin`. */
interface RefreshLoop {
  cancel(): void;
}

const loopKey = metadataKey<RefreshLoop>('refresh/loop');

function requireEvents(ctx: CallContext): EventFactory {
  const events = eventFactoryOf(ctx);
  if (events !== undefined) return events;
  throw new StatusError(
    Code.INTERNAL,
    'refresh: no begin in context; add beginClient() before refreshClient()',
    {
      reason: 'REFRESH_NO_BEGIN',
    },
  );
}

/**
 * Keeps a client's connection alive: after each successful Request it schedules a re-Request (through
 * `begin`'s event factory, with the stored request) well before the shortest token on the path expires, at
 * 0.2–0.4 of the time left (1/3 for a single segment): 15-minute tokens refresh after about 3 minutes. A
 * failed refresh is tried again every 200 ms until it succeeds or the loop is cancelled; a successful one
 * passes through here and schedules the next. Each Request replaces the loop; Close cancels it.
 *
 * Where in the chain: client chains, after `beginClient` and `metadata`, before `clientUrl` and `dial`. Leave
 * it out of inner clients of a server (nsmgr, forwarder): only the original client refreshes.
 * @example
 * const client = networkServiceHandler([updatePathClient(name), beginClient(), metadata(),
 *   refreshClient({ chainSignal }), clientUrl(url), dial({ dialer }), connectClient()]);
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/refresh
 */
export function refreshClient(options: RefreshClientOptions = {}): NetworkServiceElement {
  const { chainSignal } = options;
  const live = new Set<RefreshLoop>();
  chainSignal?.addEventListener('abort', () => [...live].forEach((loop) => loop.cancel()), { once: true });

  const start = (events: EventFactory, clock: Clock, afterMs: number, ctx: CallContext): RefreshLoop => {
    // Made when the first refresh runs: most loops are cancelled before (the next Request or the Close), and
    // aborting costs a stack.
    let controller: AbortController | undefined;
    let timer = clock.setTimeout(fire, afterMs);
    const loop: RefreshLoop = {
      cancel() {
        timer.cancel();
        controller?.abort();
        live.delete(loop);
      },
    };
    function fire(): void {
      const { signal } = (controller ??= new AbortController());
      void events.request({ cancelSignal: signal }).then((outcome) => {
        if (outcome.status !== 'failed' || signal.aborted) {
          live.delete(loop);
          return;
        }
        loggerOf(ctx).log('warn', 'refresh: re-request failed, trying again', { error: outcome.error });
        timer = clock.setTimeout(fire, retryIntervalMs);
      });
    }
    live.add(loop);
    if (chainSignal?.aborted) loop.cancel();
    return loop;
  };

  return {
    name: 'refresh',
    async request(request, ctx, next) {
      const clientMetadata = metadataOf(ctx, 'client');
      const events = requireEvents(ctx);
      const connection = await next.request(request, ctx);
      const clock = clockOf(ctx);
      clientMetadata.take(loopKey)?.cancel();
      clientMetadata.set(loopKey, start(events, clock, refreshAfterMs(connection, clock.now()), ctx));
      return connection;
    },
    close(connection, ctx, next) {
      metadataOf(ctx, 'client').take(loopKey)?.cancel();
      return next.close(connection, ctx);
    },
  };
}
