import { Connection } from '../../api/gen/connection.js';
import { NetworkServiceEndpoint, NetworkService } from '../../api/gen/registry.js';
import type { CallContext } from '../../chain/context.js';
import { ConfigError } from '../../chain/errors.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';
import type { NseRegistryElement, NsRegistryElement } from '../../chain/registry.js';

/** One case: when `when` holds, `then` handles the call and continues into the switch's `next`. */
export interface SwitchCase<TSubject, TElement> {
  when(ctx: CallContext, subject: TSubject): boolean;
  readonly then: TElement;
}

/** A NetworkService case; `when` sees the request's connection on Request and the connection on Close. */
export type NetworkServiceCase = SwitchCase<Connection, NetworkServiceElement>;
/** An NSE registry case; `when` sees the entry (for Find, the query's endpoint template). */
export type NseRegistryCase = SwitchCase<NetworkServiceEndpoint, NseRegistryElement>;
/** An NS registry case; `when` sees the entry (for Find, the query's service template). */
export type NsRegistryCase = SwitchCase<NetworkService, NsRegistryElement>;

/** A condition that always holds: put it last for a default case (NSM `switchcase.Default`). */
export const switchCaseDefault = (): boolean => true;

function checkCases(name: string, cases: readonly SwitchCase<unknown, { readonly name: string }>[]): void {
  cases.forEach((c, i) => {
    if (typeof c?.when !== 'function') throw new ConfigError(`${name}: case ${i} has no when()`);
    if (typeof c.then?.name !== 'string') throw new ConfigError(`${name}: case ${i} has no then element`);
  });
}

/** Builds the element: each method picks the first case whose condition holds and runs it with `next`. */
function switchElement<TElement extends { readonly name: string }, TSubject>(
  cases: readonly SwitchCase<TSubject, TElement>[],
  methods: Readonly<Record<string, (input: never) => TSubject>>,
): TElement {
  const element: Record<string, unknown> = {
    name: 'switch-case',
  };
  for (const [method, subjectOf] of Object.entries(methods)) {
    element[method] = (
      input: never,
      ctx: CallContext,
      next: Record<string, (i: never, c: CallContext) => unknown>,
    ) => {
      const subject = subjectOf(input);
      const chosen = cases.find((c) => c.when(ctx, subject))?.then as Record<string, unknown> | undefined;
      const own = chosen?.[method] as ((i: never, c: CallContext, n: unknown) => unknown) | undefined;
      if (own !== undefined) return own.call(chosen, input, ctx, next);
      return (next[method] as (i: never, c: CallContext) => unknown)(input, ctx);
    };
  }
  return element as TElement;
}

/**
 * Routes each call to the first case whose condition holds; that case's element (often a `chain(...)`) runs
 * and continues into whatever follows the switch. No case holds: the call goes straight on.
 *
 * Where in the chain: anywhere; nsmgr uses it to tell local from remote clients and endpoints.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/switchcase
 */
export function switchCase(...cases: readonly NetworkServiceCase[]): NetworkServiceElement {
  checkCases('switchcase', cases);
  return switchElement<NetworkServiceElement, Connection>(cases, {
    request: (request: { connection?: Connection | undefined }) => request.connection ?? Connection.create(),
    close: (connection: Connection) => connection,
  });
}

/**
 * The NSE registry twin of {@link switchCase}: Register and Unregister test the entry, Find the query's
 * endpoint.
 *
 * Where in the chain: in registry chains, e.g. to treat local and remote registrations differently.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/switchcase
 */
export function switchCaseNse(...cases: readonly NseRegistryCase[]): NseRegistryElement {
  checkCases('switchcase', cases);
  return switchElement<NseRegistryElement, NetworkServiceEndpoint>(cases, {
    register: (nse: NetworkServiceEndpoint) => nse,
    find: (query: { networkServiceEndpoint?: NetworkServiceEndpoint | undefined }) =>
      query.networkServiceEndpoint ?? NetworkServiceEndpoint.create(),
    unregister: (nse: NetworkServiceEndpoint) => nse,
  });
}

/**
 * The NS registry twin of {@link switchCase}: Register and Unregister test the entry, Find the query's service.
 *
 * Where in the chain: in registry chains.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/switchcase
 */
export function switchCaseNs(...cases: readonly NsRegistryCase[]): NsRegistryElement {
  checkCases('switchcase', cases);
  return switchElement<NsRegistryElement, NetworkService>(cases, {
    register: (ns: NetworkService) => ns,
    find: (query: { networkService?: NetworkService | undefined }) =>
      query.networkService ?? NetworkService.create(),
    unregister: (ns: NetworkService) => ns,
  });
}
