/**
 * Registry query matching (Go `matchutils.MatchNetworkServices` / `MatchNetworkServiceEndpoints`): a query is a
 * template whose empty fields are wildcards.
 */
import { protoEqual } from '../../api/clone.js';
import {
  Match,
  type NetworkService,
  type NetworkServiceEndpoint,
  type NetworkServiceLabels,
} from '../../api/gen/registry.js';

/**
 * True when `ns` matches the query template: name and payload empty or equal, and `matches` empty or equal
 * element by element (proto3 equality). An absent template matches everything.
 */
export function matchNs(query: NetworkService | undefined, ns: NetworkService): boolean {
  if (query === undefined) return true;
  return (
    (query.name === '' || query.name === ns.name) &&
    (query.payload === '' || query.payload === ns.payload) &&
    (query.matches.length === 0 ||
      (query.matches.length === ns.matches.length &&
        query.matches.every((m, i) => protoEqual(Match, m, ns.matches[i]))))
  );
}

/**
 * True when `nse` matches the query template: name empty or equal; every queried service label present with an
 * equal value; expiration unset or with equal seconds; every queried service name provided; url empty or a
 * substring of the endpoint's. An absent template matches everything.
 */
export function matchNse(query: NetworkServiceEndpoint | undefined, nse: NetworkServiceEndpoint): boolean {
  if (query === undefined) return true;
  return (
    (query.name === '' || query.name === nse.name) &&
    labelsContain(nse.networkServiceLabels, query.networkServiceLabels) &&
    (query.expirationTime === undefined ||
      query.expirationTime.seconds === (nse.expirationTime?.seconds ?? 0)) &&
    query.networkServiceNames.every((name) => nse.networkServiceNames.includes(name)) &&
    (query.url === '' || nse.url.includes(query.url))
  );
}

function labelsContain(
  where: Readonly<Record<string, NetworkServiceLabels>>,
  what: Readonly<Record<string, NetworkServiceLabels>>,
): boolean {
  for (const [service, wanted] of Object.entries(what)) {
    if (!Object.hasOwn(where, service)) return false;
    const have = where[service]?.labels ?? {};
    for (const [key, value] of Object.entries(wanted.labels)) {
      if (!Object.hasOwn(have, key) || have[key] !== value) return false;
    }
  }
  return true;
}
