/** Reading tokens: the caller's token from the call headers, and the `sub` claim of a JWT. */
import { msFromTimestamp, parseRfc3339 } from '../../api/timestamp.js';
import { incomingMetadataOf } from '../../chain/call-metadata.js';
import type { CallContext } from '../../chain/context.js';
import { clientTokenExpiresHeader, clientTokenHeader, type IssuedToken } from '../../chain/token.js';

/**
 * The token the caller sent in `nsm-client-token` with its expiry from `nsm-client-token-expires`, or undefined
 * unless each header came exactly once and the expiry parses (Go's `token.FromContext`).
 */
export function peerTokenOf(ctx: CallContext): IssuedToken | undefined {
  const metadata = incomingMetadataOf(ctx);
  const tokens = metadata[clientTokenHeader] ?? [];
  const expiries = metadata[clientTokenExpiresHeader] ?? [];
  if (tokens.length !== 1 || expiries.length !== 1) return undefined;
  const expires = parseRfc3339(expiries[0] ?? '');
  if (expires === undefined) return undefined;
  return { token: tokens[0] ?? '', expiresAt: msFromTimestamp(expires) };
}

/** The `sub` claim of a JWT (read, not verified), or `''` when the token is not a JWT or has no string `sub`. */
export function jwtSubject(token: string): string {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return '';
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (typeof claims !== 'object' || claims === null) return '';
    const sub = (claims as { sub?: unknown }).sub;
    return typeof sub === 'string' ? sub : '';
  } catch {
    return '';
  }
}
