/**
 * `token-dialer`: per-call client tokens on every connection a Dialer makes (Go's
 * `token.NewPerRPCCredentials`, `grpc.WithPerRPCCredentials`).
 * @module
 */
import type { CallContext } from '../../chain/context.js';
import type { Dialer } from '../../chain/peer.js';
import type { TokenGenerator } from '../../chain/token.js';
import { tokenDialerOf, withClientToken as withToken } from './token-dialer.js';

/**
 * Wraps `dialer` so every call made through the connections it opens (NetworkService Request and Close,
 * MonitorConnections, both registries' Register, Find and Unregister) carries this client's token: a token
 * issued by `generator` with the call's context, sent as `nsm-client-token` with its expiry as
 * `nsm-client-token-expires` (RFC 3339 with nanoseconds, UTC). Streams get their token when subscribed.
 * The server's `updateTokenServer` writes it into the previous path segment.
 *
 * Errors: UNAUTHENTICATED `TOKENDIALER_GENERATE_FAILED` when the generator throws something other than a
 * StatusError (the call is not made).
 *
 * Where in the chain: not an element; pass it to `dial` (or wherever a Dialer is configured) in every client
 * chain that talks to NSM servers: NSC, nsmgr, forwarder, passthrough NSEs, registry clients.
 * @param dialer the Dialer to wrap, e.g. `grpcDialer()`.
 * @param generator issues the token for each call, e.g. `jwtTokenGenerator()` in tests.
 * @example
 * const dialer = tokenDialer(grpcDialer(), jwtTokenGenerator());
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/tools/token
 */
export function tokenDialer(dialer: Dialer, generator: TokenGenerator): Dialer {
  return tokenDialerOf(dialer, generator);
}

/**
 * `ctx` whose outgoing calls carry a token issued now by `generator` (with `ctx`), in the
 * `nsm-client-token` and `nsm-client-token-expires` headers; what `tokenDialer` does for each call. Throws
 * UNAUTHENTICATED `TOKENDIALER_GENERATE_FAILED` when the generator throws something other than a StatusError.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/tools/token
 */
export function withClientToken(ctx: CallContext, generator: TokenGenerator): CallContext {
  return withToken(ctx, generator);
}
