/**
 * Serves chain handlers over gRPC: NetworkService, connection.MonitorConnection, both registries and
 * grpc.health.v1.Health, on `unix://`, `tcp://` or `host:port` URLs.
 * @module
 */
import { lstat, unlink } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { Server, ServerCredentials, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatusMap } from 'grpc-health-check';
import { CallContext } from '../chain/context.js';
import { Code, StatusError } from '../chain/errors.js';
import { silentLogger, type Logger } from '../chain/logger.js';
import type { MonitorHandler } from '../chain/monitor.js';
import type { NetworkServiceHandler } from '../chain/network-service.js';
import type { NseRegistryHandler, NsRegistryHandler, RegistryHandler } from '../chain/registry.js';
import { Empty } from './gen/google/protobuf/empty.js';
import {
  MonitorConnectionService,
  type Connection,
  type ConnectionEvent,
  type MonitorScopeSelector,
} from './gen/connection.js';
import { NetworkServiceService, type NetworkServiceRequest } from './gen/networkservice.js';
import { NetworkServiceEndpointRegistryService, NetworkServiceRegistryService } from './gen/registry.js';
import { serverStreamHandler, unaryHandler, type Edge } from './server-call.js';
import { formatNsmUrl, grpcTarget, parseNsmUrl, type NsmAddress } from './url.js';

/** The handlers to serve; each one present is registered and reported SERVING by the health service. */
export interface NsmServices {
  readonly networkService?: NetworkServiceHandler;
  readonly monitorConnection?: MonitorHandler;
  readonly nsRegistry?: NsRegistryHandler;
  readonly nseRegistry?: NseRegistryHandler;
}

export interface ServeOptions {
  /** Context every call starts from, e.g. carrying a clock or logger. Default: background. */
  readonly baseContext?: CallContext;
  /** Logs failed calls. Default: silent. */
  readonly logger?: Logger;
  /** Default: insecure (mTLS with SPIFFE SVIDs comes with the security work). */
  readonly credentials?: ServerCredentials;
}

export interface NsmServer {
  /** The URL clients dial, with the real port when `:0` was asked for. */
  readonly url: string;
  readonly address: NsmAddress;
  /** Stops accepting calls, cancels calls in flight after `graceMs`, and removes a unix socket file. */
  close(graceMs?: number): Promise<void>;
}

type Registration = [service: object, implementation: UntypedServiceImplementation, name: string];
type Paths<TMethods extends string> = { readonly [K in TMethods]: { readonly path: string } };

function registryImplementation<TEntry, TQuery, TResponse>(
  service: Paths<'register' | 'find' | 'unregister'>,
  handler: RegistryHandler<TEntry, TQuery, TResponse>,
  edge: Edge,
): UntypedServiceImplementation {
  return {
    register: unaryHandler<TEntry, TEntry>(service.register.path, edge, (entry, ctx) =>
      handler.register(entry, ctx),
    ),
    find: serverStreamHandler<TQuery, TResponse>(service.find.path, edge, (query, ctx) =>
      handler.find(query, ctx),
    ),
    unregister: unaryHandler<TEntry, Empty>(service.unregister.path, edge, async (entry, ctx) => {
      await handler.unregister(entry, ctx);
      return Empty.create();
    }),
  };
}

function networkServiceImplementation(ns: NetworkServiceHandler, edge: Edge): UntypedServiceImplementation {
  const service = NetworkServiceService;
  return {
    request: unaryHandler<NetworkServiceRequest, Connection>(service.request.path, edge, (request, ctx) =>
      ns.request(request, ctx),
    ),
    close: unaryHandler<Connection, Empty>(service.close.path, edge, async (connection, ctx) => {
      await ns.close(connection, ctx);
      return Empty.create();
    }),
  };
}

function monitorImplementation(monitor: MonitorHandler, edge: Edge): UntypedServiceImplementation {
  return {
    monitorConnections: serverStreamHandler<MonitorScopeSelector, ConnectionEvent>(
      MonitorConnectionService.monitorConnections.path,
      edge,
      (selector, ctx) => monitor.monitorConnections(selector, ctx),
    ),
  };
}

function registrations(services: NsmServices, edge: Edge): Registration[] {
  const out: Registration[] = [];
  if (services.networkService) {
    out.push([
      NetworkServiceService,
      networkServiceImplementation(services.networkService, edge),
      'networkservice.NetworkService',
    ]);
  }
  if (services.monitorConnection) {
    out.push([
      MonitorConnectionService,
      monitorImplementation(services.monitorConnection, edge),
      'connection.MonitorConnection',
    ]);
  }
  if (services.nsRegistry) {
    const impl = registryImplementation(NetworkServiceRegistryService, services.nsRegistry, edge);
    out.push([NetworkServiceRegistryService, impl, 'registry.NetworkServiceRegistry']);
  }
  if (services.nseRegistry) {
    const impl = registryImplementation(NetworkServiceEndpointRegistryService, services.nseRegistry, edge);
    out.push([NetworkServiceEndpointRegistryService, impl, 'registry.NetworkServiceEndpointRegistry']);
  }
  return out;
}

function socketIsLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/**
 * A socket file left by a process that died would make bind fail: remove it. A socket something still answers
 * on is left alone, so the bind fails with EADDRINUSE as Go's `net.Listen` does.
 */
async function removeStaleSocket(path: string): Promise<void> {
  const stat = await lstat(path).catch(() => undefined);
  if (stat?.isSocket() && !(await socketIsLive(path))) await unlink(path).catch(() => undefined);
}

/** Starts a gRPC server for `services` on `url` and resolves once it listens. */
export async function serve(
  url: string,
  services: NsmServices,
  options: ServeOptions = {},
): Promise<NsmServer> {
  const requested = parseNsmUrl(url);
  const server = new Server();
  const status: ServingStatusMap = { '': 'SERVING' };
  const edge: Edge = {
    base: options.baseContext ?? CallContext.background(),
    logger: options.logger ?? silentLogger,
    openStreams: new Set(),
  };
  for (const [service, impl, name] of registrations(services, edge)) {
    server.addService(service as never, impl);
    status[name] = 'SERVING';
  }
  new HealthImplementation(status).addToServer(server);
  if (requested.kind === 'unix') await removeStaleSocket(requested.path);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      grpcTarget(requested, 'bind'),
      options.credentials ?? ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    );
  });
  const address: NsmAddress = requested.kind === 'unix' ? requested : { ...requested, port };
  return {
    url: formatNsmUrl(
      address.kind === 'tcp' && address.host === '' ? { ...address, host: '127.0.0.1' } : address,
    ),
    address,
    async close(graceMs = 1000) {
      // Streams end as they do when a Go server stops: UNAVAILABLE, so clients re-open watches and heal.
      const shutdown = new StatusError(Code.UNAVAILABLE, 'server is shutting down', {
        reason: 'SERVER_STOPPING',
      });
      for (const end of [...edge.openStreams]) end(shutdown);
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      if (address.kind === 'unix') await removeStaleSocket(address.path);
    },
  };
}
