import { Code, StatusError } from '../../chain/errors.js';
import type { CallContext } from '../../chain/context.js';
import type { NseRegistryElement, NsRegistryElement, RegistryHandler } from '../../chain/registry.js';
import type { ElementOf } from '../../chain/compose.js';
import { checkPolicies, validPolicies, type Policy } from '../authorize/index.js';

/** What a registry policy decides on (Go's registry authorize input). */
export interface RegistryPolicyInput {
  /** The NS or NSE name. */
  readonly resourceName: string;
  /** The SPIFFE ID of the hop that sent this call: `pathIds[0]` as `updatePath*Server` filled it. */
  readonly callerId: string;
  /** The path ids recorded when the resource was last registered, or undefined when it never was. */
  readonly registeredPathIds: readonly string[] | undefined;
}

/** Throws (a StatusError, PERMISSION_DENIED) to refuse. */
export type RegistryPolicy = Policy<RegistryPolicyInput>;

/**
 * Go's `client_allowed` registry policy: a name nobody registered yet is free; otherwise only the original
 * registrant (the first path id recorded) may register it again or unregister it.
 */
export function clientAllowedPolicy(): RegistryPolicy {
  return {
    name: 'client-allowed',
    check(input) {
      const owner = input.registeredPathIds?.[0];
      if (owner === undefined || owner === input.callerId) return;
      throw new StatusError(
        Code.PERMISSION_DENIED,
        `registry-authorize: ${input.resourceName} belongs to ${owner}, not ${input.callerId || 'an anonymous caller'}`,
        { reason: 'REGISTRY_AUTHORIZE_NOT_OWNER' },
      );
    },
  };
}

export interface RegistryAuthorizeOptions {
  /** Default: none (Go's `Any()`). */
  readonly policies?: readonly RegistryPolicy[];
}

type Entry = { readonly name: string; readonly pathIds: readonly string[] };

function registryAuthorize<TEntry extends Entry, TQuery, TResponse>(
  options: RegistryAuthorizeOptions,
): ElementOf<RegistryHandler<TEntry, TQuery, TResponse>> & { readonly size: number } {
  const policies = validPolicies<RegistryPolicyInput>(options.policies, 'registry-authorize');
  const registered = new Map<string, readonly string[]>();
  const check = (entry: TEntry, ctx: CallContext): Promise<void> =>
    checkPolicies(
      policies,
      {
        resourceName: entry.name,
        callerId: entry.pathIds[0] ?? '',
        registeredPathIds: registered.get(entry.name),
      },
      ctx,
    );
  return {
    name: 'registry-authorize',
    get size() {
      return registered.size;
    },
    async register(entry, ctx, next) {
      await check(entry, ctx);
      const response = await next.register(entry, ctx);
      if (!registered.has(entry.name)) registered.set(entry.name, [...entry.pathIds]);
      return response;
    },
    async unregister(entry, ctx, next) {
      await check(entry, ctx);
      await next.unregister(entry, ctx);
      registered.delete(entry.name);
    },
  };
}

/**
 * Registry authorization for NSE entries: policies checked on Register and Unregister; the first registrant's
 * path ids are remembered per name (dropped on Unregister) for `clientAllowedPolicy`.
 * Where in the chain: right after `updatePathNseServer` (which fills `pathIds`).
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/authorize
 */
export const authorizeNseRegistry = (
  options: RegistryAuthorizeOptions = {},
): NseRegistryElement & { readonly size: number } => registryAuthorize(options);

/** Registry authorization for NS entries, as {@link authorizeNseRegistry}. */
export const authorizeNsRegistry = (
  options: RegistryAuthorizeOptions = {},
): NsRegistryElement & { readonly size: number } => registryAuthorize(options);
