/**
 * Registry query matching for the stores: the shared rules of `match-utils` (Go `matchutils`), with an absent
 * query template matching everything.
 */
import type { NetworkService, NetworkServiceEndpoint } from '../../api/gen/registry.js';
import { matchNetworkServiceEndpoints, matchNetworkServices } from '../match-utils/index.js';

/** True when `ns` matches the query template (empty fields are wildcards); no template matches all. */
export function matchNs(query: NetworkService | undefined, ns: NetworkService): boolean {
  return query === undefined || matchNetworkServices(query, ns);
}

/** True when `nse` matches the query template (empty fields are wildcards); no template matches all. */
export function matchNse(query: NetworkServiceEndpoint | undefined, nse: NetworkServiceEndpoint): boolean {
  return query === undefined || matchNetworkServiceEndpoints(query, nse);
}
