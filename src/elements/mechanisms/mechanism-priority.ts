import type { Mechanism } from '../../api/gen/connection.js';
import { ConfigError } from '../../chain/errors.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';

/** Preferences of a listed type first, in list order (stable within a type), then the rest as they were. */
function prioritize(preferences: readonly Mechanism[], rank: ReadonlyMap<string, number>): Mechanism[] {
  const ranked = preferences.filter((m) => rank.has(m.type));
  const rest = preferences.filter((m) => !rank.has(m.type));
  ranked.sort((a, b) => (rank.get(a.type) ?? 0) - (rank.get(b.type) ?? 0));
  return [...ranked, ...rest];
}

/**
 * Reorders the request's mechanism preferences by type: types in `priorities` come first, in that order
 * (compared upper-cased); preferences of other types keep their order at the tail.
 *
 * Where in the chain: forwarder client chains, after `filterMechanismsClient`.
 * @example
 * mechanismPriorityClient(['WIREGUARD', 'VXLAN'])
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/mechanismpriority
 */
export function mechanismPriorityClient(priorities: readonly string[] = []): NetworkServiceElement {
  const list: unknown = priorities;
  if (!Array.isArray(list) || list.some((p) => typeof p !== 'string')) {
    throw new ConfigError('mechanismPriorityClient: priorities must be a list of mechanism types');
  }
  const rank = new Map<string, number>();
  priorities.forEach((type, index) => rank.set(type.toUpperCase(), index));
  return {
    name: 'mechanism-priority',
    async request(request, ctx, next) {
      if (rank.size === 0) return next.request(request, ctx);
      const mechanismPreferences = prioritize(request.mechanismPreferences, rank);
      return next.request({ ...request, mechanismPreferences }, ctx);
    },
  };
}
