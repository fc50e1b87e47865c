/**
 * The background watch of one connection's network service: a Find with `watch` on the NS registry, re-opened
 * 100 ms after it breaks, checking on every update that the connection's endpoint still matches.
 * @module
 */
import { Observable, concatMap, defer, lastValueFrom, takeUntil, takeWhile } from 'rxjs';
import type { Connection } from '../../api/gen/connection.js';
import {
  NetworkServiceEndpointQuery,
  NetworkServiceQuery,
  type NetworkServiceResponse,
} from '../../api/gen/registry.js';
import { withCancel } from '../../chain/cancel.js';
import { delay, withClock, type Clock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { withLogger, type Logger } from '../../chain/logger.js';
import type { NseRegistryHandler, NsRegistryHandler } from '../../chain/registry.js';
import type { EventFactory } from '../begin/index.js';
import { matchEndpoint, readNetworkServiceEndpointList } from '../match-utils/index.js';

/** Pause before re-opening a broken watch (Go's value). */
const reopenDelayMs = 100;

export interface Watch {
  /** The connection as the chain returned it. */
  readonly connection: Connection;
  readonly factory: EventFactory;
  readonly nsRegistry: NsRegistryHandler;
  readonly nseRegistry: NseRegistryHandler;
  readonly chainSignal: AbortSignal;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * Starts watching until the chain signal aborts, the returned stop function is called, or the earliest path
 * segment expires. Returns undefined (nothing started) when that expiry has passed or the chain has stopped.
 */
export function startWatch(watch: Watch): (() => void) | undefined {
  const expiresAt = earliestExpiry(watch.connection);
  const timeoutMs = expiresAt === undefined ? undefined : expiresAt - watch.clock.now();
  if ((timeoutMs !== undefined && timeoutMs <= 0) || watch.chainSignal.aborted) return undefined;
  const base = withLogger(
    withClock(CallContext.of({ signal: watch.chainSignal }), watch.clock),
    watch.logger,
  );
  const scope = withCancel(base, timeoutMs);
  run(scope.ctx, watch)
    .catch((error: unknown) =>
      watch.logger.log('error', 'netsvcmonitor: watch ended unexpectedly', { error }),
    )
    .finally(() => scope.cancel());
  return () => scope.cancel();
}

/** Epoch ms of the earliest segment expiry; segments without one do not bound the watch. */
function earliestExpiry(connection: Connection): number | undefined {
  let earliest: number | undefined;
  for (const segment of connection.path?.pathSegments ?? []) {
    if (segment.expires === undefined) continue;
    const at = segment.expires.seconds * 1000 + segment.expires.nanos / 1e6;
    if (earliest === undefined || at < earliest) earliest = at;
  }
  return earliest;
}

async function run(ctx: CallContext, watch: Watch): Promise<void> {
  const { connection, logger } = watch;
  while (!ctx.signal.aborted) {
    let matches = true;
    try {
      matches = await followUpdates(ctx, watch);
    } catch (error) {
      if (ctx.signal.aborted) return;
      logger.log('error', `netsvcmonitor: watching network service ${connection.networkService} failed`, {
        id: connection.id,
        error,
      });
    }
    if (!matches) {
      logger.log(
        'warn',
        `netsvcmonitor: nse ${connection.networkServiceEndpointName} doesn't match network service ${connection.networkService}`,
        { id: connection.id },
      );
      void watch.factory.close();
      return;
    }
    try {
      await delay(watch.clock, reopenDelayMs, ctx.signal);
    } catch {
      return;
    }
  }
}

/** Follows one watch stream: resolves false at the first update the endpoint no longer matches, else true when it ends. */
function followUpdates(ctx: CallContext, watch: Watch): Promise<boolean> {
  const query = NetworkServiceQuery.fromPartial({
    networkService: { name: watch.connection.networkService },
    watch: true,
  });
  const stopped$ = new Observable<void>((subscriber) => {
    const onAbort = (): void => subscriber.next();
    if (ctx.signal.aborted) subscriber.next();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    return () => ctx.signal.removeEventListener('abort', onAbort);
  });
  const checks$ = defer(() => watch.nsRegistry.find(query, ctx)).pipe(
    concatMap((response) => stillMatches(ctx, watch, response)),
    takeWhile((matches) => matches, true),
    takeUntil(stopped$),
  );
  return lastValueFrom(checks$, { defaultValue: true });
}

/** Whether the connection's endpoint, if it still exists, matches the updated service. Never rejects. */
async function stillMatches(
  ctx: CallContext,
  watch: Watch,
  response: NetworkServiceResponse,
): Promise<boolean> {
  const { connection } = watch;
  const ns = response.networkService;
  if (ns === undefined || ns.name !== connection.networkService) return true;
  const query = NetworkServiceEndpointQuery.fromPartial({
    networkServiceEndpoint: { name: connection.networkServiceEndpointName },
  });
  try {
    const nses = await readNetworkServiceEndpointList(() => watch.nseRegistry.find(query, ctx), ctx.signal);
    return nses.length === 0 || matchEndpoint(connection.labels, ns, nses).length > 0;
  } catch (error) {
    if (!ctx.signal.aborted) {
      watch.logger.log(
        'error',
        `netsvcmonitor: finding nse ${connection.networkServiceEndpointName} failed`,
        {
          id: connection.id,
          error,
        },
      );
    }
    return true;
  }
}
