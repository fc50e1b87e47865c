/**
 * Tokens: what a hop issues for itself (`updatetoken` writes it into the path) and what a client sends with
 * each call (the `nsm-client-token` headers). The generator decides the format; NSM uses a JWT signed with the
 * SPIFFE SVID, whose `sub` is the SPIFFE ID and `exp` the expiry.
 * @module
 */
import type { CallContext } from './context.js';

export interface IssuedToken {
  readonly token: string;
  /** Absolute epoch ms, on the clock of the context it was issued in. */
  readonly expiresAt: number;
}

/** Issues a token for a call; `ctx` carries the peer (see `peerOf`) and the clock. */
export type TokenGenerator = (ctx: CallContext) => IssuedToken;

/** Header a client sends its token in (exactly once per call). */
export const clientTokenHeader = 'nsm-client-token';
/** Header with the token's expiry, RFC 3339 with nanoseconds (Go's time.RFC3339Nano). */
export const clientTokenExpiresHeader = 'nsm-client-token-expires';
