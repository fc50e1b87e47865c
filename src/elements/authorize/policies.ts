import type { PathSegment } from '../../api/gen/connection.js';
import { clockOf } from '../../chain/clock.js';
import { decodeJwt } from '../token-jwt/index.js';
import { denied, type AuthorizePolicy } from './policy.js';

/** When a segment's token expires, in epoch ms: the JWT `exp` when the token decodes, else `expires`. */
function expiryMs(segment: PathSegment): number | undefined {
  const exp = decodeJwt(segment.token)?.exp;
  if (exp !== undefined) return exp * 1000;
  const { expires } = segment;
  return expires === undefined ? undefined : expires.seconds * 1000 + expires.nanos / 1e6;
}

const label = (segment: PathSegment, i: number): string => `segment ${i} (${segment.name || 'unnamed'})`;

/**
 * Every segment's token is still valid on the context's clock: its JWT `exp` (when the token decodes) or
 * else its `expires` lies in the future (Go `tokens_expired.rego`). A segment with neither is refused.
 * Refusal: PERMISSION_DENIED `AUTHORIZE_TOKENS_EXPIRED`.
 */
export function tokensExpiredPolicy(): AuthorizePolicy {
  const name = 'tokens_expired';
  return {
    name,
    check({ path }, ctx) {
      const now = clockOf(ctx).now();
      path.pathSegments.forEach((segment, i) => {
        const expiresAt = expiryMs(segment);
        if (expiresAt === undefined) {
          throw denied(name, 'AUTHORIZE_TOKENS_EXPIRED', `${label(segment, i)} has no token expiry`);
        }
        if (now >= expiresAt) {
          const at = new Date(expiresAt).toISOString();
          throw denied(name, 'AUTHORIZE_TOKENS_EXPIRED', `${label(segment, i)} token expired at ${at}`);
        }
      });
    },
  };
}

/**
 * Each token names the next one's issuer as its audience: the `aud` of segment i contains the `sub` of
 * segment i+1 (Go `tokens_chained.rego`). Pairs where either token does not decode as a JWT are skipped.
 * Refusal: PERMISSION_DENIED `AUTHORIZE_TOKENS_CHAINED`.
 */
export function tokensChainedPolicy(): AuthorizePolicy {
  const name = 'tokens_chained';
  return {
    name,
    check({ path }) {
      const claims = path.pathSegments.map((s) => decodeJwt(s.token));
      for (let i = 0; i + 1 < claims.length; i++) {
        const [from, to] = [claims[i], claims[i + 1]];
        if (from === undefined || to === undefined) continue;
        const audience = typeof from.aud === 'string' ? [from.aud] : (from.aud ?? []);
        if (to.sub === undefined || !audience.includes(to.sub)) {
          const segment = path.pathSegments[i] as PathSegment;
          throw denied(
            name,
            'AUTHORIZE_TOKENS_CHAINED',
            `${label(segment, i)} token audience does not include the next token's subject ${to.sub ?? '(none)'}`,
          );
        }
      }
    },
  };
}

/**
 * The path is well formed up to this hop: the index is within the segments, every segment up to and
 * including the index has a name and an id, and the connection id is the id of the segment at the index.
 * Refusal: PERMISSION_DENIED `AUTHORIZE_PATH_CONSISTENCY`.
 */
export function pathConsistencyPolicy(): AuthorizePolicy {
  const name = 'path_consistency';
  const refuse = (message: string): never => {
    throw denied(name, 'AUTHORIZE_PATH_CONSISTENCY', message);
  };
  return {
    name,
    check({ path, connectionId }) {
      const { index, pathSegments } = path;
      const current = pathSegments[index];
      if (current === undefined) {
        return refuse(`path index ${index} is out of range of ${pathSegments.length} segments`);
      }
      pathSegments.slice(0, index + 1).forEach((segment, i) => {
        if (segment.name === '' || segment.id === '') refuse(`${label(segment, i)} lacks a name or an id`);
      });
      if (current.id !== connectionId) {
        refuse(`connection id ${connectionId} is not the id ${current.id} of ${label(current, index)}`);
      }
    },
  };
}
