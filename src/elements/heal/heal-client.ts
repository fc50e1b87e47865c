import type { Connection } from '../../api/gen/connection.js';
import { isAbortError, postpone, type CancelScope } from '../../chain/cancel.js';
import type { CallContext } from '../../chain/context.js';
import { Code, isStatusError, StatusError } from '../../chain/errors.js';
import { loggerOf } from '../../chain/logger.js';
import { metadataKey, metadataOf } from '../../chain/metadata.js';
import type { NetworkServiceElement, NetworkServiceHandler } from '../../chain/network-service.js';
import { clientConnectionKey } from '../../chain/peer.js';
import { eventFactoryOf } from '../begin/index.js';
import { Healers } from './healer.js';
import { settingsOf, type HealClientOptions, type HealSettings } from './options.js';
import { ConnectionWatch } from './watch.js';

const watchKey = metadataKey<ConnectionWatch>('heal/watch');

function monitorFailed(error: unknown): unknown {
  if (isStatusError(error) || isAbortError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new StatusError(Code.UNAVAILABLE, `heal: cannot monitor the next hop: ${message}`, {
    reason: 'HEAL_MONITOR_FAILED',
    cause: error,
  });
}

/** Closes downstream on a fresh context with the Request's timeout length, ignoring failures. */
async function closeQuietly(
  next: NetworkServiceHandler,
  connection: Connection,
  fresh: () => CancelScope,
): Promise<void> {
  const scope = fresh();
  try {
    await next.close(connection, scope.ctx);
  } catch (error) {
    loggerOf(scope.ctx).log('warn', 'heal: close after a failed watch start failed', { error });
  } finally {
    scope.cancel();
  }
}

/**
 * Watches `connection` when a next-hop connection and an event factory are there; a failure it sees starts a
 * heal. Throws when the next hop's monitor cannot be asked at all.
 */
function watch(ctx: CallContext, connection: Connection, settings: HealSettings, healers: Healers): void {
  const client = metadataOf(ctx, 'client');
  const peer = client.get(clientConnectionKey);
  const factory = eventFactoryOf(ctx);
  if (peer === undefined || factory === undefined) return;
  const onDown = (reselect: boolean): void => healers.start(factory, connection, ctx, reselect);
  client.set(watchKey, new ConnectionWatch({ settings, peer, connection, ctx, onDown }));
}

/**
 * Client `heal`: watches each connection through the next hop's MonitorConnection service (and, with a
 * `livenessCheck`, its data plane) and, when it goes down, re-requests it through `begin`'s event factory
 * until that works: with reselect (close the old path, pick a new one) unless only the control plane failed
 * and the data plane still answers, in which case the same path is requested again. Failed attempts are
 * retried every 100 ms on the context clock.
 *
 * Where in the chain: client chains, after `clientConn` and before `dial` (it reads the next-hop connection
 * `dial` leaves in client metadata once the Request returns). Needs `begin` and `metadata` before it. Off by
 * default; not for passthrough endpoints.
 * @example
 * const nsc = networkServiceHandler([beginClient(), metadata(), healClient({ chainSignal }), dial(...), ...]);
 * @throws ConfigError for a missing chainSignal, a non-function livenessCheck or a non-positive interval
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/heal
 */
export function healClient(options: HealClientOptions): NetworkServiceElement {
  const settings = settingsOf(options);
  const healers = new Healers(settings);
  return {
    name: 'heal',
    async request(request, ctx, next) {
      const fresh = postpone(ctx);
      const previous = metadataOf(ctx, 'client').take(watchKey);
      previous?.stop();
      let connection: Connection;
      try {
        connection = await next.request(request, ctx);
      } catch (error) {
        // A failed refresh: keep watching the old connection, unless it is already being healed.
        const old = request.connection;
        if (previous !== undefined && !previous.healingStarted && old !== undefined) {
          try {
            watch(ctx, old, settings, healers);
          } catch (watchError) {
            loggerOf(ctx).log('error', 'heal: cannot watch again after a failed refresh', { watchError });
            await closeQuietly(next, old, fresh);
          }
        }
        throw error;
      }
      healers.stop(connection.id);
      try {
        watch(ctx, connection, settings, healers);
      } catch (error) {
        await closeQuietly(next, connection, fresh);
        throw monitorFailed(error);
      }
      return connection;
    },
    async close(connection, ctx, next) {
      metadataOf(ctx, 'client').take(watchKey)?.stop();
      healers.closing(connection.id);
      return next.close(connection, ctx);
    },
  };
}
