/**
 * Registry lookups and path helpers of `discoverforwarder`.
 * @module
 */
import type { Connection } from '../../api/gen/connection.js';
import {
  NetworkServiceQuery,
  type NetworkService,
  type NetworkServiceEndpoint,
} from '../../api/gen/registry.js';
import type { CallContext } from '../../chain/context.js';
import { Code, StatusError } from '../../chain/errors.js';
import type { NsRegistryHandler } from '../../chain/registry.js';
import { readNetworkServiceList } from '../match-utils/index.js';

/** Runs a registry lookup; a failure becomes UNAVAILABLE (DISCOVERFORWARDER_REGISTRY_FAILED), an abort passes. */
export async function registryCall<T>(ctx: CallContext, message: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    throw new StatusError(Code.UNAVAILABLE, `discoverforwarder: ${message}`, {
      reason: 'DISCOVERFORWARDER_REGISTRY_FAILED',
      cause: error,
    });
  }
}

/** The service with exactly this name (and this payload, when given), or NOT_FOUND. */
export async function findNetworkService(
  nsRegistry: NsRegistryHandler,
  name: string,
  payload: string,
  ctx: CallContext,
): Promise<NetworkService> {
  const query = NetworkServiceQuery.fromPartial({ networkService: { name, payload } });
  const services = await registryCall(ctx, `failed to find network service ${name}`, () =>
    readNetworkServiceList(() => nsRegistry.find(query, ctx), ctx.signal),
  );
  const ns = services.find((service) => service.name === name);
  if (ns === undefined) {
    throw new StatusError(Code.NOT_FOUND, `discoverforwarder: network service ${name} is not found`, {
      reason: 'DISCOVERFORWARDER_NS_NOT_FOUND',
    });
  }
  return ns;
}

/** The name of the path segment after ours: the forwarder this connection used before, if any. */
export function nextSegmentName(connection: Connection): string {
  const path = connection.path;
  return path?.pathSegments[path.index + 1]?.name ?? '';
}

/** Swaps the forwarder named `name` with the first candidate (as Go does; the others keep their places). */
export function preferPrevious(candidates: NetworkServiceEndpoint[], name: string): void {
  if (name === '') return;
  const i = candidates.findIndex((candidate) => candidate.name === name);
  if (i <= 0) return;
  const first = candidates[0] as NetworkServiceEndpoint;
  candidates[0] = candidates[i] as NetworkServiceEndpoint;
  candidates[i] = first;
}
