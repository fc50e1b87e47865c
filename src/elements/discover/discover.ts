import { Connection } from '../../api/gen/connection.js';
import {
  NetworkServiceEndpointQuery,
  NetworkServiceQuery,
  type NetworkServiceEndpoint,
} from '../../api/gen/registry.js';
import { cloneMessage } from '../../api/clone.js';
import { clientUrlOf, withClientUrl } from '../../chain/client-url.js';
import { clockOf } from '../../chain/clock.js';
import type { CallContext } from '../../chain/context.js';
import { Code, ConfigError, StatusError } from '../../chain/errors.js';
import { loggerOf } from '../../chain/logger.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';
import type { NseRegistryHandler, NsRegistryHandler } from '../../chain/registry.js';
import {
  matchEndpoint,
  readNetworkServiceEndpointList,
  readNetworkServiceList,
} from '../match-utils/index.js';
import { withCandidates } from './candidates.js';
import { closeTarget, rememberedUrl, rememberTarget } from './target.js';

export interface DiscoverServerOptions {
  /** The NS registry to look services up in (used as a client: only `find` is called). Required. */
  readonly nsRegistry: NsRegistryHandler;
  /** The NSE registry to look endpoints up in (only `find` is called). Required. */
  readonly nseRegistry: NseRegistryHandler;
}

/**
 * Finds where a Request goes. An endpoint named in the request is looked up by name and its URL put in the
 * context; otherwise the network service is looked up (exact name, and payload when given), its endpoints are
 * listed, expired ones dropped, and the service's matches select the candidates for the client's labels; the
 * candidates go in the context for the selection element after (`candidatesOf(ctx)`), and the connection takes
 * the service's payload. With a client URL already in the context, it passes through. Close never fails on
 * discovery: it puts the named endpoint's URL in the context when it can, and always continues; with a
 * `metadata` element before it, a failed or empty lookup falls back to the URL the last Request went to.
 *
 * Where in the chain: in forwarders and proxies, before `roundrobin` (which picks among the candidates) and
 * the client that dials the URL.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/discover
 */
export function discoverServer(options: DiscoverServerOptions): NetworkServiceElement {
  const { nsRegistry, nseRegistry } = options;
  if (typeof nsRegistry?.find !== 'function') throw new ConfigError('discover: nsRegistry is required');
  if (typeof nseRegistry?.find !== 'function') throw new ConfigError('discover: nseRegistry is required');

  const findNse = async (name: string, ctx: CallContext): Promise<NetworkServiceEndpoint | undefined> => {
    const query = NetworkServiceEndpointQuery.fromPartial({ networkServiceEndpoint: { name } });
    const list = await registryCall(ctx, `failed to find network service endpoint ${name}`, () =>
      readNetworkServiceEndpointList(() => nseRegistry.find(query, ctx), ctx.signal),
    );
    return list.find((nse) => nse.name === name);
  };

  return {
    name: 'discover',
    async request(request, ctx, next) {
      if (clientUrlOf(ctx) !== undefined) return next.request(request, ctx);
      const connection = request.connection ?? Connection.create();
      const nseName = connection.networkServiceEndpointName;
      if (nseName !== '') {
        const nse = await findNse(nseName, ctx);
        if (nse === undefined) {
          throw new StatusError(Code.NOT_FOUND, `discover: network service endpoint ${nseName} not found`, {
            reason: 'DISCOVER_NSE_NOT_FOUND',
          });
        }
        const response = await next.request(request, withClientUrl(ctx, nse.url));
        rememberTarget(ctx, nse.name, nse.url);
        return response;
      }

      const { networkService: name, payload } = connection;
      const nsQuery = NetworkServiceQuery.fromPartial({ networkService: { name, payload } });
      const services = await registryCall(ctx, `failed to find network service ${name}`, () =>
        readNetworkServiceList(() => nsRegistry.find(nsQuery, ctx), ctx.signal),
      );
      const ns = services.find((service) => service.name === name);
      if (ns === undefined) {
        throw new StatusError(Code.NOT_FOUND, `discover: network service ${name} is not found`, {
          reason: 'DISCOVER_NS_NOT_FOUND',
        });
      }

      const nseQuery = NetworkServiceEndpointQuery.fromPartial({
        networkServiceEndpoint: { networkServiceNames: [ns.name] },
      });
      const listed = await registryCall(ctx, `failed to find endpoints of network service ${name}`, () =>
        readNetworkServiceEndpointList(() => nseRegistry.find(nseQuery, ctx), ctx.signal),
      );
      const now = clockOf(ctx).now();
      const alive = listed.filter((nse) => nse.expirationTime === undefined || expiresAtMs(nse) > now);
      const nses = matchEndpoint(connection.labels, ns, alive);
      if (nses.length === 0) {
        throw new StatusError(Code.NOT_FOUND, 'discover: network service endpoint candidates not found', {
          reason: 'DISCOVER_NO_CANDIDATES',
        });
      }
      const out = cloneMessage({ ...request, connection: { ...connection, payload: ns.payload } });
      const response = await next.request(out, withCandidates(ctx, { ns, nses }));
      const chosen = nses.find((nse) => nse.name === response.networkServiceEndpointName);
      if (chosen !== undefined) rememberTarget(ctx, chosen.name, chosen.url);
      return response;
    },

    async close(connection, ctx, next) {
      if (clientUrlOf(ctx) !== undefined) return next.close(connection, ctx);
      const logger = loggerOf(ctx);
      const name = connection.networkServiceEndpointName;
      if (name === '') {
        logger.log('error', 'discover: close: network_service_endpoint_name is not set', {
          id: connection.id,
        });
        return next.close(connection, ctx);
      }
      const lookup = async (): Promise<string | undefined> => {
        try {
          const nse = await findNse(name, ctx);
          if (nse !== undefined) return nse.url;
          logger.log('error', `discover: close: endpoint ${name} is not found`, { id: connection.id });
        } catch (error) {
          logger.log('error', `discover: close: looking up endpoint ${name} failed`, {
            id: connection.id,
            error,
          });
        }
        return undefined;
      };
      const url = await closeTarget(rememberedUrl(ctx, name), lookup);
      return next.close(connection, url === undefined ? ctx : withClientUrl(ctx, url));
    },
  };
}

/** Epoch ms of an endpoint's expiration, with the sub-millisecond part kept (Go compares nanoseconds). */
function expiresAtMs(nse: NetworkServiceEndpoint): number {
  const at = nse.expirationTime;
  return at === undefined ? Infinity : at.seconds * 1000 + at.nanos / 1e6;
}

/** Runs a registry lookup; a failure becomes UNAVAILABLE (DISCOVER_REGISTRY_FAILED), an abort passes as is. */
async function registryCall<T>(ctx: CallContext, message: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    throw new StatusError(Code.UNAVAILABLE, `discover: ${message}`, {
      reason: 'DISCOVER_REGISTRY_FAILED',
      cause: error,
    });
  }
}
