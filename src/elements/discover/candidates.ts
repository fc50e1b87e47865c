/**
 * The candidates `discover` hands to the selection element after it (`roundrobin`): the network service and
 * the endpoints its matches selected for this client, in match order.
 * @module
 */
import type { NetworkService, NetworkServiceEndpoint } from '../../api/gen/registry.js';
import { contextKey, type CallContext } from '../../chain/context.js';

/** What `discover` found for a Request. */
export interface Candidates {
  readonly ns: NetworkService;
  /** The selected endpoints, in order; one may appear twice when two routes select it. */
  readonly nses: readonly NetworkServiceEndpoint[];
}

const candidatesKey = contextKey<Candidates>('discover/candidates');

/** The candidates `discover` put in `ctx`, or undefined (no `discover` before, or a pinned endpoint). */
export function candidatesOf(ctx: CallContext): Candidates | undefined {
  return ctx.value(candidatesKey);
}

/** `ctx` carrying `candidates` (what `discover` does; tests of selection elements use it directly). */
export function withCandidates(ctx: CallContext, candidates: Candidates): CallContext {
  return ctx.with(candidatesKey, candidates);
}
