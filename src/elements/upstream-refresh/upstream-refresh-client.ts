import type { Connection } from '../../api/gen/connection.js';
import { isAbortError, postpone } from '../../chain/cancel.js';
import type { CallContext } from '../../chain/context.js';
import { Code, ConfigError, isStatusError, StatusError } from '../../chain/errors.js';
import { loggerOf } from '../../chain/logger.js';
import { connectionMetadataKey, metadataKey, metadataOf } from '../../chain/metadata.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';
import { clientConnectionKey } from '../../chain/peer.js';
import { eventFactoryOf } from '../begin/index.js';
import { Notifier, type LocalNotifier } from './notifier.js';
import { startRefreshLoop } from './refresh-loop.js';

export interface UpstreamRefreshClientOptions {
  /** The client's lifetime: aborting it ends every loop. Required. */
  readonly chainSignal: AbortSignal;
  /**
   * When one connection of this client is asked to refresh by the next hop, refresh every other connection
   * of this client too (Go's `WithLocalNotifications`). Default: false.
   */
  readonly localNotifications?: boolean;
}

const loopKey = metadataKey<() => void>('upstream-refresh/loop');
const notifierKey = metadataKey<LocalNotifier>('upstream-refresh/notifier');

/** The local notifier of the connection being handled (only with `localNotifications`), else undefined. */
export function localNotifierOf(ctx: CallContext): LocalNotifier | undefined {
  return ctx.value(connectionMetadataKey)?.client.get(notifierKey);
}

function monitorFailed(error: unknown): unknown {
  if (isStatusError(error) || isAbortError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new StatusError(Code.UNAVAILABLE, `upstream-refresh: cannot monitor the next hop: ${message}`, {
    reason: 'UPSTREAM_REFRESH_MONITOR_FAILED',
    cause: error,
  });
}

/**
 * Client `upstreamrefresh`: watches the next hop's MonitorConnection service and, when it reports this
 * connection with REFRESH_REQUESTED (an NSE pushes that through its monitor's event consumer, e.g. after a
 * change of MTU), re-requests the connection from `begin`. With `localNotifications` the other connections of
 * this client are re-requested as well.
 *
 * Where in the chain: client chains after `dial` (usually among the additional elements), with `begin` and
 * `metadata` before it.
 * @example
 * const nsc = client({ ..., additional: [upstreamRefreshClient({ chainSignal })] });
 * @throws ConfigError when `chainSignal` is not an AbortSignal
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/upstreamrefresh
 */
export function upstreamRefreshClient(
  options: UpstreamRefreshClientOptions,
): NetworkServiceElement & { readonly subscribed: number } {
  const chainSignal = options.chainSignal as unknown;
  if (!(chainSignal instanceof AbortSignal)) {
    throw new ConfigError('upstream-refresh: chainSignal must be an AbortSignal');
  }
  const notifier = options.localNotifications === true ? new Notifier() : undefined;
  return {
    name: 'upstream-refresh',
    /** Connections subscribed to local notifications (for leak checks). */
    get subscribed() {
      return notifier?.size ?? 0;
    },
    async request(request, ctx, next) {
      const fresh = postpone(ctx);
      const client = metadataOf(ctx, 'client');
      client.take(loopKey)?.();
      notifier?.unsubscribe(request.connection?.id ?? '');
      if (notifier !== undefined) client.set(notifierKey, notifier);
      const connection: Connection = await next.request(request, ctx);
      notifier?.subscribe(connection.id);
      const peer = client.get(clientConnectionKey);
      const factory = eventFactoryOf(ctx);
      if (peer === undefined || factory === undefined) return connection;
      try {
        client.set(loopKey, startRefreshLoop({ peer, connection, factory, notifier, chainSignal, ctx }));
      } catch (error) {
        notifier?.unsubscribe(connection.id);
        const scope = fresh();
        try {
          await next.close(connection, scope.ctx);
        } catch (closeError) {
          loggerOf(ctx).log('warn', 'upstream-refresh: close after a failed start failed', { closeError });
        } finally {
          scope.cancel();
        }
        throw monitorFailed(error);
      }
      return connection;
    },
    async close(connection, ctx, next) {
      notifier?.unsubscribe(connection.id);
      metadataOf(ctx, 'client').take(loopKey)?.();
      return next.close(connection, ctx);
    },
  };
}
