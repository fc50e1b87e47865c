import { Connection, State } from '../../api/gen/connection.js';
import { NetworkServiceEndpointQuery, type NetworkServiceEndpoint } from '../../api/gen/registry.js';
import { cloneMessage } from '../../api/clone.js';
import { withClientUrl } from '../../chain/client-url.js';
import type { CallContext } from '../../chain/context.js';
import { Code, ConfigError, StatusError } from '../../chain/errors.js';
import { allFailed, type FailedAttempt } from '../../chain/failover.js';
import { loggerOf } from '../../chain/logger.js';
import { connectionMetadataKey, metadataKey, metadataOf } from '../../chain/metadata.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';
import type { NseRegistryHandler, NsRegistryHandler } from '../../chain/registry.js';
import { closeTarget } from '../discover/index.js';
import { matchForwarders, readNetworkServiceEndpointList } from '../match-utils/index.js';
import { findNetworkService, nextSegmentName, preferPrevious, registryCall } from './lookup.js';

export interface DiscoverForwarderServerOptions {
  /** The NS registry (only `find` is called). Required. */
  readonly nsRegistry: NsRegistryHandler;
  /** The NSE registry forwarders are registered in (only `find` is called). Required. */
  readonly nseRegistry: NseRegistryHandler;
  /** The network service forwarders register under. Default `'forwarder'`. */
  readonly forwarderServiceName?: string;
  /**
   * This NSMgr's URL. Forwarder lookups ask for endpoints whose URL contains it, which selects the local
   * forwarders (the NSMgr registry rewrote their URLs to its own). Default `''`: no URL filter.
   */
  readonly nsmgrUrl?: string;
}

/** The forwarder this connection went through, remembered across refreshes and used by Close. */
const forwarderKey = metadataKey<{ readonly name: string; readonly url: string }>(
  'discover-forwarder/chosen',
);

/**
 * Chooses the local forwarder for a Request: the one remembered for this connection, else any forwarder whose
 * labels fit the network service's match metadata (`{p2p: "true"}` by default), preferring the one named next
 * on the path (as after an NSMgr restart). Candidates are tried in order with the forwarder URL in the context;
 * the first to succeed is remembered. When all fail: UNAVAILABLE `DISCOVERFORWARDER_ALL_FAILED` listing each
 * attempt, or the attempts' own status when they all failed with the same code and reason (the endpoint's
 * refusal, `DISCOVER_NO_CANDIDATES`, `IPAM_EXHAUSTED`...). A RESELECT_REQUESTED request ignores the remembered
 * one. Close goes to the remembered forwarder (or the one next on the path) at its current URL, else at the URL
 * its Request reached when the lookup fails or finds nothing, and always continues.
 *
 * Where in the chain: in the NSMgr, after `metadata` and before the client that dials the URL.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/discoverforwarder
 */
export function discoverForwarderServer(options: DiscoverForwarderServerOptions): NetworkServiceElement {
  const { nsRegistry, nseRegistry, forwarderServiceName = 'forwarder', nsmgrUrl = '' } = options;
  if (typeof nsRegistry?.find !== 'function')
    throw new ConfigError('discoverforwarder: nsRegistry is required');
  if (typeof nseRegistry?.find !== 'function')
    throw new ConfigError('discoverforwarder: nseRegistry is required');
  if (typeof forwarderServiceName !== 'string' || forwarderServiceName === '') {
    throw new ConfigError('discoverforwarder: forwarderServiceName must be a non-empty string');
  }
  if (typeof nsmgrUrl !== 'string') throw new ConfigError('discoverforwarder: nsmgrUrl must be a string');

  const findForwarders = (
    ctx: CallContext,
    name: string,
    byService: boolean,
  ): Promise<NetworkServiceEndpoint[]> => {
    const query = NetworkServiceEndpointQuery.fromPartial({
      networkServiceEndpoint: {
        name,
        url: nsmgrUrl,
        networkServiceNames: byService ? [forwarderServiceName] : [],
      },
    });
    return readNetworkServiceEndpointList(() => nseRegistry.find(query, ctx), ctx.signal);
  };

  return {
    name: 'discover-forwarder',
    async request(request, ctx, next) {
      const metadata = metadataOf(ctx, 'server');
      const connection = request.connection ?? Connection.create();
      const reselect = connection.state === State.RESELECT_REQUESTED;
      const remembered = reselect ? '' : (metadata.get(forwarderKey)?.name ?? '');

      const ns = await findNetworkService(nsRegistry, connection.networkService, connection.payload, ctx);
      const listed = await registryCall(ctx, `failed to find ${forwarderServiceName} on ${nsmgrUrl}`, () =>
        findForwarders(ctx, remembered, true),
      );
      const candidates = matchForwarders(connection.labels, ns, listed, forwarderServiceName);
      if (candidates.length === 0) {
        if (remembered !== '') {
          throw new StatusError(
            Code.FAILED_PRECONDITION,
            `discoverforwarder: forwarder ${remembered} is not available`,
            {
              reason: 'DISCOVERFORWARDER_NOT_AVAILABLE',
            },
          );
        }
        throw new StatusError(Code.UNAVAILABLE, 'discoverforwarder: no candidates found', {
          reason: 'DISCOVERFORWARDER_NO_CANDIDATES',
        });
      }
      if (remembered === '' && !reselect) preferPrevious(candidates, nextSegmentName(connection));

      const failed: FailedAttempt[] = [];
      for (const forwarder of candidates) {
        try {
          const result = await next.request(cloneMessage(request), withClientUrl(ctx, forwarder.url));
          metadata.set(forwarderKey, { name: forwarder.name, url: forwarder.url });
          return result;
        } catch (error) {
          if (ctx.signal.aborted) throw ctx.signal.reason;
          loggerOf(ctx).log('error', `discoverforwarder: forwarder ${forwarder.name} failed`, {
            id: connection.id,
            url: forwarder.url,
            error,
          });
          failed.push({ candidate: forwarder.name, error });
        }
      }
      throw allFailed(
        'discoverforwarder',
        'all forwarders have failed',
        'DISCOVERFORWARDER_ALL_FAILED',
        failed,
      );
    },

    async close(connection, ctx, next) {
      const logger = loggerOf(ctx);
      const remembered = ctx.value(connectionMetadataKey)?.server.get(forwarderKey);
      const name = remembered?.name ?? nextSegmentName(connection);
      if (name === '') {
        logger.log('error', 'discoverforwarder: close: the connection has no forwarder', {
          id: connection.id,
        });
        return next.close(connection, ctx);
      }
      const lookup = async (): Promise<string | undefined> => {
        try {
          const found = (await findForwarders(ctx, name, false))[0];
          if (found !== undefined) return found.url;
          logger.log('error', `discoverforwarder: close: forwarder ${name} is not found`, {
            id: connection.id,
          });
        } catch (error) {
          logger.log('error', `discoverforwarder: close: looking up forwarder ${name} failed`, {
            id: connection.id,
            error,
          });
        }
        return undefined;
      };
      const url = await closeTarget(remembered?.url, lookup);
      return next.close(connection, url === undefined ? ctx : withClientUrl(ctx, url));
    },
  };
}
