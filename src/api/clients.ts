/**
 * Typed clients for the NSM services on an {@link NsmConnection}. Each is a chain handler, so it can be the tail
 * of a chain (the `connect` element does exactly that).
 * @module
 */
import type { MonitorHandler } from '../chain/monitor.js';
import type { NetworkServiceHandler } from '../chain/network-service.js';
import type { NseRegistryHandler, NsRegistryHandler } from '../chain/registry.js';
import type { NsmConnection } from './client.js';
import { MonitorConnectionService } from './gen/connection.js';
import { NetworkServiceService } from './gen/networkservice.js';
import { NetworkServiceEndpointRegistryService, NetworkServiceRegistryService } from './gen/registry.js';

/** `networkservice.NetworkService` (Request/Close) on `conn`. */
export function networkServiceClient(conn: NsmConnection): NetworkServiceHandler {
  return {
    request: (request, ctx) => conn.unary(NetworkServiceService.request, request, ctx),
    close: async (connection, ctx) => {
      await conn.unary(NetworkServiceService.close, connection, ctx);
    },
  };
}

/** `connection.MonitorConnection` on `conn`: a cold Observable of events per subscription. */
export function monitorConnectionClient(conn: NsmConnection): MonitorHandler {
  return {
    monitorConnections: (selector, ctx) =>
      conn.serverStream(MonitorConnectionService.monitorConnections, selector, ctx),
  };
}

/** `registry.NetworkServiceRegistry` on `conn`. */
export function nsRegistryClient(conn: NsmConnection): NsRegistryHandler {
  const service = NetworkServiceRegistryService;
  return {
    register: (ns, ctx) => conn.unary(service.register, ns, ctx),
    find: (query, ctx) => conn.serverStream(service.find, query, ctx),
    unregister: async (ns, ctx) => {
      await conn.unary(service.unregister, ns, ctx);
    },
  };
}

/** `registry.NetworkServiceEndpointRegistry` on `conn`. */
export function nseRegistryClient(conn: NsmConnection): NseRegistryHandler {
  const service = NetworkServiceEndpointRegistryService;
  return {
    register: (nse, ctx) => conn.unary(service.register, nse, ctx),
    find: (query, ctx) => conn.serverStream(service.find, query, ctx),
    unregister: async (nse, ctx) => {
      await conn.unary(service.unregister, nse, ctx);
    },
  };
}
