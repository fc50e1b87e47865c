/**
 * The server side of the registry path (Go `updatepath` registry servers plus the `grpcmetadata` server): takes
 * the path from the `path` header (or from the context when an earlier hop in this process already did), adds
 * this hop, records the hops' SPIFFE IDs in `pathIds`, and answers with the updated path.
 */
import { setResponseHeader, incomingMetadataOf } from '../../chain/call-metadata.js';
import { contextKey, type CallContext } from '../../chain/context.js';
import type { ElementOf } from '../../chain/compose.js';
import { Code, isStatusError, StatusError } from '../../chain/errors.js';
import type { RegistryHandler } from '../../chain/registry.js';
import type { IssuedToken, TokenGenerator } from '../../chain/token.js';
import {
  decodePath,
  encodePath,
  pathHeader,
  registryPathOf,
  withRegistryPath,
  type RegistryPath,
} from './path.js';
import { jwtSubject, peerTokenOf } from './tokens.js';

const ownExpiryKey = contextKey<number>('registry-update-path/own-token-expiry');

/** The expiry (epoch ms) of the token this hop issued for the current Register, or undefined. */
export function ownTokenExpiryOf(ctx: CallContext): number | undefined {
  return ctx.value(ownExpiryKey);
}

/** The path this call works on, and whether it came from the wire (so this element answers with it). */
function pathOf(ctx: CallContext): { path: RegistryPath; fromWire: boolean } {
  const inContext = registryPathOf(ctx);
  if (inContext !== undefined) return { path: inContext, fromWire: false };
  const values = incomingMetadataOf(ctx)[pathHeader] ?? [];
  const last = values[values.length - 1];
  return { path: last === undefined ? { index: 0, segments: [] } : decodePath(last), fromWire: true };
}

/** Adds this hop to `path` (Go's `updatePath`) and returns the caller's index. */
function advance(path: RegistryPath, peerToken: string, ownToken: string): number {
  if (path.segments.length === 0) {
    path.segments = [{ token: peerToken }, { token: ownToken }];
    path.index = 1;
    return 0;
  }
  if (path.index + 1 > path.segments.length) {
    throw new StatusError(
      Code.INVALID_ARGUMENT,
      `registry-update-path: path index ${path.index} is past the last of ${path.segments.length} segments`,
      { reason: 'REGISTRY_PATH_INVALID_INDEX' },
    );
  }
  const previous = path.segments[path.index];
  path.index++;
  if (previous !== undefined) previous.token = peerToken;
  const current = path.segments[path.index];
  if (current === undefined) path.segments.push({ token: ownToken });
  else current.token = ownToken;
  return path.index - 1;
}

/** Go's `updatePathIDs`: set the id at `index`, or append it when the list is shorter. */
function setId(ids: string[], index: number, id: string): void {
  if (index >= ids.length) ids.push(id);
  else ids[index] = id;
}

function issue(generate: TokenGenerator, ctx: CallContext): IssuedToken {
  try {
    return generate(ctx);
  } catch (error) {
    if (isStatusError(error)) throw error;
    throw new StatusError(Code.INTERNAL, 'registry-update-path: the token generator failed', {
      reason: 'REGISTRY_UPDATE_PATH_TOKEN_FAILED',
      cause: error,
    });
  }
}

type WithPathIds = { readonly pathIds: string[] };

/** @internal The shared NS/NSE implementation. */
export function updatePathServer<TEntry extends WithPathIds, TQuery, TResponse>(
  generate: TokenGenerator,
): ElementOf<RegistryHandler<TEntry, TQuery, TResponse>> {
  /** Runs `call` with this hop on the path; restores the caller's index and answers with the path. */
  async function onPath<TResult>(
    entry: TEntry,
    ctx: CallContext,
    call: (entry: TEntry, ctx: CallContext) => Promise<TResult>,
  ): Promise<TResult> {
    const { path, fromWire } = pathOf(ctx);
    const peerToken = peerTokenOf(ctx)?.token ?? '';
    const own = issue(generate, ctx);
    const callerIndex = advance(path, peerToken, own.token);
    const pathIds = [...entry.pathIds];
    setId(pathIds, path.index - 1, jwtSubject(peerToken));
    setId(pathIds, path.index, jwtSubject(own.token));
    const inner = withRegistryPath(ctx, path).with(ownExpiryKey, own.expiresAt);
    let result: TResult;
    try {
      result = await call({ ...entry, pathIds }, inner);
    } finally {
      path.index = callerIndex;
    }
    if (fromWire) setResponseHeader(ctx, pathHeader, encodePath(path));
    return result;
  }
  return {
    name: 'registry-update-path',
    register: (entry, ctx, next) => onPath(entry, ctx, (e, c) => next.register(e, c)),
    unregister: (entry, ctx, next) => onPath(entry, ctx, (e, c) => next.unregister(e, c)),
  };
}
