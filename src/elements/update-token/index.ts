/**
 * `update-token`: writes path tokens, the caller's and this hop's own (NSM `common/updatetoken`).
 * @module
 */
import type { NetworkServiceElement } from '../../chain/network-service.js';
import type { TokenGenerator } from '../../chain/token.js';
import { updateTokenElement } from './update-token.js';

/**
 * On Request and Close: the previous path segment gets the token the caller presented with this call (the
 * `nsm-client-token` and `nsm-client-token-expires` headers, each exactly once, the expiry in RFC 3339; when
 * they are missing or malformed a warning is logged and the segment is left as it came), and the current
 * segment gets a fresh token and expiry from `generator`, called with the call's context (peer, clock).
 *
 * Errors: INVALID_ARGUMENT `UPDATETOKEN_INDEX_OUT_OF_RANGE` when the path has no segment at its index;
 * INTERNAL `UPDATETOKEN_GENERATE_FAILED` when the generator throws something other than a StatusError.
 *
 * Where in the chain: after `updatePathServer` and `beginServer`, before `authorizeServer` and `timeout`
 * (which read the tokens and expiries it writes). Server side only: clients present their token with each
 * call through `tokenDialer`.
 * @param generator issues this hop's token, e.g. `jwtTokenGenerator()` in tests.
 * @example
 * const nse = networkServiceHandler([updatePathServer('nse'), beginServer(), updateTokenServer(generator)]);
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/updatetoken
 */
export function updateTokenServer(generator: TokenGenerator): NetworkServiceElement {
  return updateTokenElement(generator);
}
