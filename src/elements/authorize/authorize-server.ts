import { Connection, Path } from '../../api/gen/connection.js';
import { peerOf } from '../../chain/call-metadata.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';
import { decodeJwt } from '../token-jwt/index.js';
import { checkPolicies, validPolicies, type AuthorizePolicy, type PathPolicyInput } from './policy.js';

export interface AuthorizeServerOptions {
  /** Policies checked, in order, on calls that came over gRPC. Default: none (everything is allowed). */
  readonly policies?: readonly AuthorizePolicy[];
}

/** The server element, with the connections it admitted per caller SPIFFE ID (for monitor authorization). */
export interface AuthorizeServer extends NetworkServiceElement {
  /** SPIFFE ID (`sub` of the caller's token) → ids of that caller's connections (its own segment ids). */
  readonly connectionsBySpiffeId: ReadonlyMap<string, ReadonlySet<string>>;
}

/** The left side of the path: the hops up to and including this one. */
export function leftSide(conn: Connection): PathPolicyInput {
  const path = conn.path ?? Path.create();
  return {
    path: { ...path, pathSegments: path.pathSegments.slice(0, path.index + 1) },
    connectionId: conn.id,
  };
}

interface Caller {
  readonly spiffeId: string;
  readonly connectionId: string;
}

/** Who called, from the token the caller presented (written into the previous segment by update-token). */
function callerOf(conn: Connection): Caller | undefined {
  const index = conn.path?.index ?? 0;
  const prev = index > 0 ? conn.path?.pathSegments[index - 1] : undefined;
  const spiffeId = prev === undefined ? undefined : decodeJwt(prev.token)?.sub;
  return prev === undefined || spiffeId === undefined || spiffeId === ''
    ? undefined
    : { spiffeId, connectionId: prev.id };
}

export function authorizeServerElement(options: AuthorizeServerOptions): AuthorizeServer {
  const policies = validPolicies(options.policies, 'authorizeServer');
  const bySpiffeId = new Map<string, Set<string>>();
  /** Records the caller's connection; true when it was not recorded before. */
  const track = ({ spiffeId, connectionId }: Caller): boolean => {
    let ids = bySpiffeId.get(spiffeId);
    if (ids === undefined) bySpiffeId.set(spiffeId, (ids = new Set()));
    if (ids.has(connectionId)) return false;
    ids.add(connectionId);
    return true;
  };
  const untrack = ({ spiffeId, connectionId }: Caller): void => {
    const ids = bySpiffeId.get(spiffeId);
    ids?.delete(connectionId);
    if (ids?.size === 0) bySpiffeId.delete(spiffeId);
  };
  return {
    name: 'authorize',
    connectionsBySpiffeId: bySpiffeId,
    async request(request, ctx, next) {
      const conn = request.connection ?? Connection.create();
      // Calls made in process (no peer) are trusted, as in Go.
      if (peerOf(ctx) === undefined) return next.request(request, ctx);
      await checkPolicies(policies, leftSide(conn), ctx);
      const caller = callerOf(conn);
      const added = caller !== undefined && track(caller);
      try {
        return await next.request(request, ctx);
      } catch (error) {
        if (added) untrack(caller);
        throw error;
      }
    },
    async close(conn, ctx, next) {
      if (peerOf(ctx) === undefined) return next.close(conn, ctx);
      const caller = callerOf(conn);
      if (caller !== undefined) untrack(caller);
      await checkPolicies(policies, leftSide(conn), ctx);
      return next.close(conn, ctx);
    },
  };
}
