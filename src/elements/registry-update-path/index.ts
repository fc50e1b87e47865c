/**
 * Registry `updatepath` and `grpcmetadata`: the private registry path in the `path` gRPC header, the hops'
 * SPIFFE IDs in `pathIds`, and this hop's token expiry for `expire` (NSM `registry/common/updatepath`,
 * `registry/common/grpcmetadata`).
 * @module
 */
import type {
  NetworkService,
  NetworkServiceEndpoint,
  NetworkServiceEndpointQuery,
  NetworkServiceEndpointResponse,
  NetworkServiceQuery,
  NetworkServiceResponse,
} from '../../api/gen/registry.js';
import { ConfigError } from '../../chain/errors.js';
import type { NseRegistryElement, NsRegistryElement } from '../../chain/registry.js';
import type { TokenGenerator } from '../../chain/token.js';
import { pathClient } from './path-client.js';
import { updatePathServer } from './update-path-server.js';

export { encodePath, decodePath, registryPathOf, withRegistryPath, type RegistryPath } from './path.js';
export { peerTokenOf, jwtSubject } from './tokens.js';
export { ownTokenExpiryOf } from './update-path-server.js';

export interface UpdatePathServerOptions {
  /** Issues this hop's token (a JWT whose `sub` is this hop's SPIFFE ID). Required. */
  readonly tokenGenerator: TokenGenerator;
}

function generatorOf(options: UpdatePathServerOptions | undefined): TokenGenerator {
  if (typeof options?.tokenGenerator !== 'function')
    throw new ConfigError('registry-update-path: tokenGenerator is required');
  return options.tokenGenerator;
}

/**
 * Server side of the registry path for NSE registrations. On Register and Unregister it reads the path from the
 * `path` header (absent: an empty path), or from the context when an earlier server in this process put it
 * there; adds this hop (the caller's token from `nsm-client-token` into the previous segment, a fresh token
 * into this one); writes the `sub` of both tokens into `pathIds[index-1]` and `pathIds[index]`; puts the path
 * and this token's expiry ({@link ownTokenExpiryOf}) in the context; and after next, restores the caller's
 * index and, when the path came from the header, sends it back in the `path` response header. A malformed
 * header fails with INVALID_ARGUMENT (REGISTRY_PATH_INVALID), an index past the segments with
 * REGISTRY_PATH_INVALID_INDEX.
 *
 * Where in the chain: first in a registry server's NSE chain, before `authorize` and `begin`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/updatepath
 */
export function updatePathNseServer(options: UpdatePathServerOptions): NseRegistryElement {
  return updatePathServer<
    NetworkServiceEndpoint,
    NetworkServiceEndpointQuery,
    NetworkServiceEndpointResponse
  >(generatorOf(options));
}

/**
 * {@link updatePathNseServer} for NS registrations.
 *
 * Where in the chain: first in a registry server's NS chain, before `authorize`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/updatepath
 */
export function updatePathNsServer(options: UpdatePathServerOptions): NsRegistryElement {
  return updatePathServer<NetworkService, NetworkServiceQuery, NetworkServiceResponse>(generatorOf(options));
}

/**
 * Client side of the registry path for NSE registrations: sends the path in the context (a fresh empty one when
 * there is none) in the `path` header of Register and Unregister, and adopts the index and segments the next
 * hop answers with into that path. Find passes through.
 *
 * Where in the chain: in a registry client chain, after `clientconn`/`authorize` and before `dial`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/grpcmetadata
 */
export function pathNseClient(): NseRegistryElement {
  return pathClient<NetworkServiceEndpoint, NetworkServiceEndpointQuery, NetworkServiceEndpointResponse>();
}

/**
 * {@link pathNseClient} for NS registrations.
 *
 * Where in the chain: in an NS registry client chain, before `dial`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/grpcmetadata
 */
export function pathNsClient(): NsRegistryElement {
  return pathClient<NetworkService, NetworkServiceQuery, NetworkServiceResponse>();
}
