/**
 * Registry `connect` (Go `registry/common/connect`): the terminal client element calling the next hop, and the
 * server element bridging a server chain to a client chain.
 */
import { concat, defer, type Observable } from 'rxjs';
import { postpone } from '../../chain/cancel.js';
import type { CallContext } from '../../chain/context.js';
import type { ElementOf } from '../../chain/compose.js';
import { Code, StatusError } from '../../chain/errors.js';
import type { PeerConnection } from '../../chain/peer.js';
import type { RegistryHandler } from '../../chain/registry.js';
import { registryPeerOf } from './peer-context.js';

function peerOrFail(ctx: CallContext): PeerConnection {
  const peer = registryPeerOf(ctx);
  if (peer === undefined) {
    throw new StatusError(
      Code.INTERNAL,
      'registry-connect: no connection in context; add registryDialNse()/registryDialNs() before this element',
      { reason: 'REGISTRY_CONNECT_NO_PEER' },
    );
  }
  return peer;
}

/** @internal The terminal client element; `remote` picks the registry of the connection. */
export function registryConnect<TEntry, TQuery, TResponse>(
  remote: (peer: PeerConnection) => RegistryHandler<TEntry, TQuery, TResponse>,
): ElementOf<RegistryHandler<TEntry, TQuery, TResponse>> {
  return {
    name: 'registry-connect',
    async register(entry, ctx) {
      return remote(peerOrFail(ctx)).register(entry, ctx);
    },
    find(query, ctx): Observable<TResponse> {
      return defer(() => remote(peerOrFail(ctx)).find(query, ctx));
    },
    async unregister(entry, ctx) {
      return remote(peerOrFail(ctx)).unregister(entry, ctx);
    },
  };
}

/** @internal The server element that continues through `client` and then through the rest of the server chain. */
export function connectServer<TEntry, TQuery, TResponse>(
  client: RegistryHandler<TEntry, TQuery, TResponse>,
): ElementOf<RegistryHandler<TEntry, TQuery, TResponse>> {
  return {
    name: 'registry-connect',
    async register(entry, ctx, next) {
      const cleanupContext = postpone(ctx);
      const registered = await client.register(entry, ctx);
      try {
        return await next.register(registered, ctx);
      } catch (error) {
        const scope = cleanupContext();
        try {
          await client.unregister(registered, scope.ctx);
        } catch {
          // Best effort: the registration expires at the next hop anyway.
        } finally {
          scope.cancel();
        }
        throw error;
      }
    },
    find(query, ctx, next) {
      return concat(
        defer(() => client.find(query, ctx)),
        defer(() => next.find(query, ctx)),
      );
    },
    async unregister(entry, ctx, next) {
      let clientError: unknown;
      let failed = false;
      try {
        await client.unregister(entry, ctx);
      } catch (error) {
        clientError = error;
        failed = true;
      }
      await next.unregister(entry, ctx);
      if (failed) throw clientError;
    },
  };
}
