import { cloneMessage } from '../../api/clone.js';
import { clockOf } from '../../chain/clock.js';
import { ConfigError } from '../../chain/errors.js';
import { loggerOf } from '../../chain/logger.js';
import { connectionMetadataKey, metadataKey, metadataOf } from '../../chain/metadata.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';
import type { NseRegistryHandler, NsRegistryHandler } from '../../chain/registry.js';
import { eventFactoryOf } from '../begin/index.js';
import { startWatch } from './watcher.js';

export interface NetSvcMonitorServerOptions {
  /** The NS registry to watch the connection's network service in (only `find` is called). Required. */
  readonly nsRegistry: NsRegistryHandler;
  /** The NSE registry to look the connection's endpoint up in (only `find` is called). Required. */
  readonly nseRegistry: NseRegistryHandler;
  /** Aborting it stops every watch this element started (NSM's chain context). Required. */
  readonly chainSignal: AbortSignal;
}

/** Stops the connection's current watch. */
const stopWatchKey = metadataKey<() => void>('net-svc-monitor/stop');

/**
 * Closes a connection whose network service stops selecting its endpoint. After each successful Request it
 * watches the service in the NS registry (re-opening a broken watch after 100 ms); when an update arrives and
 * the connection's endpoint still exists but no longer matches the service for the connection's labels, it
 * closes the connection through `begin`'s event factory, so the client heals and reselects. A Request restarts
 * the watch; Close, the chain signal and the earliest path segment expiry end it.
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
  return {
    name: 'net-svc-monitor',
    async request(request, ctx, next) {
      const metadata = metadataOf(ctx, 'server');
      metadata.take(stopWatchKey)?.();
      const connection = await next.request(request, ctx);
      const factory = eventFactoryOf(ctx);
      const logger = loggerOf(ctx);
      if (factory === undefined) {
        logger.log('warn', 'netsvcmonitor: no begin before this element; not watching', {
          id: connection.id,
        });
        return connection;
      }
      const stop = startWatch({
        connection: cloneMessage(connection),
        factory,
        nsRegistry,
        nseRegistry,
        chainSignal,
        clock: clockOf(ctx),
        logger,
      });
      if (stop !== undefined) metadata.set(stopWatchKey, stop);
      return connection;
    },
    async close(connection, ctx, next) {
      ctx.value(connectionMetadataKey)?.server.take(stopWatchKey)?.();
      return next.close(connection, ctx);
    },
  };
}
