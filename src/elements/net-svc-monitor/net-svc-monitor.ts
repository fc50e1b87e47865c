import type { Connection } from '../../api/gen/connection.js';
import { clockOf } from '../../chain/clock.js';
import type { CallContext } from '../../chain/context.js';
import { ConfigError } from '../../chain/errors.js';
import { loggerOf } from '../../chain/logger.js';
import { connectionMetadataKey, metadataKey, metadataOf } from '../../chain/metadata.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';
import type { NseRegistryHandler, NsRegistryHandler } from '../../chain/registry.js';
import { eventFactoryOf, type EventFactory } from '../begin/index.js';
import { ServiceWatch } from './service-watch.js';

export interface NetSvcMonitorServerOptions {
  /** The NS registry to watch the connection's network service in (only `find` is called). Required. */
  readonly nsRegistry: NsRegistryHandler;
  /** The NSE registry to look the connection's endpoint up in (only `find` is called). Required. */
  readonly nseRegistry: NseRegistryHandler;
  /** Aborting it stops every watch this element started (NSM's chain context). Required. */
  readonly chainSignal: AbortSignal;
  /**
   * How long a service's watch stays open after its last connection left, in ms, so that connections made one
   * after the other share it; ended at the next Request after that, or with the chain. Default 60000; 0 ends it
   * with its last connection.
   */
  readonly idleWatchMs?: number;
}

/** Stops the connection's current watch. */
const stopWatchKey = metadataKey<() => void>('net-svc-monitor/stop');

/**
 * Closes a connection whose network service stops selecting its endpoint. After each successful Request it
 * follows the service in the NS registry (one watch per service, shared by its connections, re-opened 100 ms
 * after it breaks); when an update arrives and the connection's endpoint still exists but no longer matches
 * the service for the connection's labels, it closes the connection through `begin`'s event factory, so the
 * client heals and reselects. A connection joining a running watch is checked against the service as last
 * reported. Close, a failed Request, the chain signal and the earliest path segment expiry stop following;
 * a watch without connections is kept for `idleWatchMs`, then ended at the next Request (or with the chain).
 *
 * Where in the chain: in the NSMgr, after `begin` and `metadata`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/netsvcmonitor
 */
export function netSvcMonitorServer(options: NetSvcMonitorServerOptions): NetworkServiceElement {
  const { nsRegistry, nseRegistry, chainSignal } = options;
  if (typeof nsRegistry?.find !== 'function') throw new ConfigError('netsvcmonitor: nsRegistry is required');
  if (typeof nseRegistry?.find !== 'function')
    throw new ConfigError('netsvcmonitor: nseRegistry is required');
  if (!(chainSignal instanceof AbortSignal)) throw new ConfigError('netsvcmonitor: chainSignal is required');
  const { idleWatchMs: idleMs = 60_000 } = options;
  if (!Number.isFinite(idleMs) || idleMs < 0)
    throw new ConfigError('netsvcmonitor: idleWatchMs must be a finite number >= 0');
  const watches = new Map<string, ServiceWatch>();

  /** Follows the connection in its service's watch (started if need be); undefined when nothing started. */
  const follow = (
    connection: Connection,
    factory: EventFactory,
    ctx: CallContext,
  ): (() => void) | undefined => {
    const clock = clockOf(ctx);
    const expiresAt = earliestExpiry(connection);
    if ((expiresAt !== undefined && expiresAt <= clock.now()) || chainSignal.aborted) return undefined;
    for (const idle of [...watches.values()]) idle.endIfIdle(clock.now());
    const service = connection.networkService;
    let watch = watches.get(service);
    if (watch === undefined || watch.ended) {
      const deps = { nsRegistry, nseRegistry, chainSignal, clock, idleMs };
      const started: ServiceWatch = new ServiceWatch(service, deps, () => {
        if (watches.get(service) === started) watches.delete(service);
      });
      watch = started;
      watches.set(service, watch);
    }
    return watch.add({
      id: connection.id,
      endpointName: connection.networkServiceEndpointName,
      labels: { ...connection.labels },
      factory,
      logger: loggerOf(ctx),
      expiresAt,
    });
  };

  return {
    name: 'net-svc-monitor',
    async request(request, ctx, next) {
      const metadata = metadataOf(ctx, 'server');
      let connection: Connection;
      try {
        connection = await next.request(request, ctx);
      } catch (error) {
        metadata.take(stopWatchKey)?.();
        throw error;
      }
      const previous = metadata.take(stopWatchKey);
      const factory = eventFactoryOf(ctx);
      if (factory === undefined) {
        loggerOf(ctx).log('warn', 'netsvcmonitor: no begin before this element; not watching', {
          id: connection.id,
        });
      } else {
        const stop = follow(connection, factory, ctx);
        if (stop !== undefined) metadata.set(stopWatchKey, stop);
      }
      // Stopped after the new follower joined, so a refresh keeps its service's watch open.
      previous?.();
      return connection;
    },
    async close(connection, ctx, next) {
      ctx.value(connectionMetadataKey)?.server.take(stopWatchKey)?.();
      return next.close(connection, ctx);
    },
  };
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
