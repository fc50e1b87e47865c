/**
 * How the query cache reads NS and NSE registry messages.
 * @module
 */
import { cloneMessage } from '../../api/clone.js';
import {
  NetworkService,
  NetworkServiceEndpoint,
  type NetworkServiceEndpointQuery,
  type NetworkServiceEndpointResponse,
  type NetworkServiceQuery,
  type NetworkServiceResponse,
} from '../../api/gen/registry.js';
import { matchNetworkServiceEndpoints, matchNetworkServices } from '../match-utils/index.js';
import type { RegistryKind } from './query-cache.js';

export const nseKind: RegistryKind<
  NetworkServiceEndpointQuery,
  NetworkServiceEndpointResponse,
  NetworkServiceEndpoint
> = {
  keyOf: (query) =>
    JSON.stringify(
      NetworkServiceEndpoint.toJSON(query.networkServiceEndpoint ?? NetworkServiceEndpoint.create()),
    ),
  itemOf: (response) => response.networkServiceEndpoint,
  isDeleted: (response) => response.deleted,
  responseOf: (nse) => ({ networkServiceEndpoint: nse, deleted: false }),
  nameOf: (nse) => nse.name,
  expired(nse, now) {
    const at = nse.expirationTime;
    return at !== undefined && at.seconds * 1000 + at.nanos / 1e6 <= now;
  },
  clone: (nse) => cloneMessage(nse),
  matches: (query, nse) =>
    matchNetworkServiceEndpoints(query.networkServiceEndpoint ?? NetworkServiceEndpoint.create(), nse),
  watchByName: (name) => ({
    networkServiceEndpoint: NetworkServiceEndpoint.fromPartial({ name }),
    watch: true,
  }),
};

export const nsKind: RegistryKind<NetworkServiceQuery, NetworkServiceResponse, NetworkService> = {
  keyOf: (query) => JSON.stringify(NetworkService.toJSON(query.networkService ?? NetworkService.create())),
  itemOf: (response) => response.networkService,
  isDeleted: (response) => response.deleted,
  responseOf: (ns) => ({ networkService: ns, deleted: false }),
  nameOf: (ns) => ns.name,
  expired: () => false,
  clone: (ns) => cloneMessage(ns),
  matches: (query, ns) => matchNetworkServices(query.networkService ?? NetworkService.create(), ns),
  watchByName: (name) => ({ networkService: NetworkService.fromPartial({ name }), watch: true }),
};
