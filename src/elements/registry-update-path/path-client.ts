/**
 * The client side of the registry path (Go `grpcmetadata` registry clients): sends the path in the `path`
 * header and adopts the one the next hop answers with.
 */
import { withOutgoingHeaders, withReceivedHeaders } from '../../chain/call-metadata.js';
import type { CallContext } from '../../chain/context.js';
import type { ElementOf } from '../../chain/compose.js';
import type { RegistryHandler } from '../../chain/registry.js';
import { decodePath, encodePath, pathHeader, registryPathOf, type RegistryPath } from './path.js';

function adopt(path: RegistryPath, answer: string | undefined): void {
  if (answer === undefined) return;
  let received: RegistryPath;
  try {
    received = decodePath(answer);
  } catch {
    // A peer answering with a malformed path leaves ours as it was, as in Go.
    return;
  }
  path.index = received.index;
  path.segments = received.segments;
}

/** @internal The shared NS/NSE implementation. */
export function pathClient<TEntry, TQuery, TResponse>(): ElementOf<
  RegistryHandler<TEntry, TQuery, TResponse>
> {
  async function withPath<TResult>(
    ctx: CallContext,
    call: (ctx: CallContext) => Promise<TResult>,
  ): Promise<TResult> {
    const path = registryPathOf(ctx) ?? { index: 0, segments: [] };
    const received = withReceivedHeaders(withOutgoingHeaders(ctx, { [pathHeader]: encodePath(path) }));
    const result = await call(received.ctx);
    adopt(path, received.headers.get(pathHeader));
    return result;
  }
  return {
    name: 'registry-update-path',
    register: (entry, ctx, next) => withPath(ctx, (c) => next.register(entry, c)),
    unregister: (entry, ctx, next) => withPath(ctx, (c) => next.unregister(entry, c)),
  };
}
