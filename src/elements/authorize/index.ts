/**
 * `authorize`: pluggable policy checks on the connection path (NSM `common/authorize`, OPA policies as code).
 * @module
 */
import type { NetworkServiceElement } from '../../chain/network-service.js';
import { authorizeClientElement, type AuthorizeClientOptions } from './authorize-client.js';
import {
  authorizeServerElement,
  type AuthorizeServer,
  type AuthorizeServerOptions,
} from './authorize-server.js';

export type { AuthorizeClientOptions } from './authorize-client.js';
export type { AuthorizeServer, AuthorizeServerOptions } from './authorize-server.js';
export type { AuthorizePolicy, PathPolicyInput, Policy } from './policy.js';
export { checkPolicies, validPolicies } from './policy.js';
export { pathConsistencyPolicy, tokensChainedPolicy, tokensExpiredPolicy } from './policies.js';

/**
 * Checks `policies` on the left side of the path (segments 0..index) on Request and Close, for calls that
 * came over gRPC (a peer is in the context); in-process calls pass unchecked. A refusal stops the call before
 * `next`. It also keeps, per caller SPIFFE ID (the `sub` of the token in the previous segment), the ids of
 * that caller's connections, in `connectionsBySpiffeId`: added on Request, dropped on Close and when the
 * Request that added one fails. The monitor server's authorization reads it.
 *
 * Errors: what the policies throw, PERMISSION_DENIED with `AUTHORIZE_<POLICY>`; PERMISSION_DENIED
 * `AUTHORIZE_POLICY_FAILED` wrapping anything else a policy throws.
 *
 * Where in the chain: after `updateTokenServer` (it reads the tokens that element writes), before
 * `metadata` (endpoint and nsmgr chains). Presets default to no policies, like Go's `authorize.Any()`.
 * @example
 * const nse = networkServiceHandler([
 *   updatePathServer('nse'), beginServer(), updateTokenServer(generator),
 *   authorizeServer({ policies: [tokensExpiredPolicy(), pathConsistencyPolicy()] }), metadata(),
 * ]);
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/authorize
 * @see authorizeClient
 */
export function authorizeServer(options: AuthorizeServerOptions = {}): AuthorizeServer {
  return authorizeServerElement(options);
}

/**
 * Checks `policies` on the whole path the next hop returned. When it is refused, a new connection is closed
 * downstream (with a fresh context of the same timeout) and the error is thrown; a refused refresh is only
 * thrown, the established connection stays. Close checks the policies too, and a refusal stops it before
 * `next` (as in Go).
 *
 * Errors: as {@link authorizeServer}; `METADATA_MISSING` without `metadata()` before it.
 *
 * Where in the chain: in client chains after `metadata` and `dial`, before `trimPathClient` and `connect`
 * (Go `chains/client`: the authorize client is the third-last element).
 * @example
 * const client = chain(updatePathClient('nsc'), beginClient(), metadata(), authorizeClient({ policies }), connect());
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/authorize
 * @see authorizeServer
 */
export function authorizeClient(options: AuthorizeClientOptions = {}): NetworkServiceElement {
  return authorizeClientElement(options);
}
