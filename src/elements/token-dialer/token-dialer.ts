import { defer } from 'rxjs';
import { rfc3339Nano, timestampFromMs } from '../../api/timestamp.js';
import { withOutgoingHeaders } from '../../chain/call-metadata.js';
import type { CallContext } from '../../chain/context.js';
import { Code, ConfigError, isStatusError, StatusError } from '../../chain/errors.js';
import type { MonitorHandler } from '../../chain/monitor.js';
import type { NetworkServiceHandler } from '../../chain/network-service.js';
import type { Dialer, PeerConnection } from '../../chain/peer.js';
import type { RegistryHandler } from '../../chain/registry.js';
import { clientTokenExpiresHeader, clientTokenHeader, type TokenGenerator } from '../../chain/token.js';

export function withClientToken(ctx: CallContext, generator: TokenGenerator): CallContext {
  let issued;
  try {
    issued = generator(ctx);
  } catch (error) {
    if (isStatusError(error)) throw error;
    // grpc-go fails a call whose per-RPC credentials fail with UNAUTHENTICATED.
    throw new StatusError(Code.UNAUTHENTICATED, 'token-dialer: failed to generate a token', {
      reason: 'TOKENDIALER_GENERATE_FAILED',
      cause: error,
    });
  }
  return withOutgoingHeaders(ctx, {
    [clientTokenHeader]: issued.token,
    [clientTokenExpiresHeader]: rfc3339Nano(timestampFromMs(issued.expiresAt)),
  });
}

function networkService(inner: NetworkServiceHandler, generator: TokenGenerator): NetworkServiceHandler {
  return {
    request: async (request, ctx) => inner.request(request, withClientToken(ctx, generator)),
    close: async (connection, ctx) => inner.close(connection, withClientToken(ctx, generator)),
  };
}

function monitor(inner: MonitorHandler, generator: TokenGenerator): MonitorHandler {
  return {
    // The token is issued when the stream starts (on subscribe), like gRPC per-RPC credentials.
    monitorConnections: (selector, ctx) =>
      defer(() => inner.monitorConnections(selector, withClientToken(ctx, generator))),
  };
}

function registry<TEntry, TQuery, TResponse>(
  inner: RegistryHandler<TEntry, TQuery, TResponse>,
  generator: TokenGenerator,
): RegistryHandler<TEntry, TQuery, TResponse> {
  return {
    register: async (entry, ctx) => inner.register(entry, withClientToken(ctx, generator)),
    find: (query, ctx) => defer(() => inner.find(query, withClientToken(ctx, generator))),
    unregister: async (entry, ctx) => inner.unregister(entry, withClientToken(ctx, generator)),
  };
}

export function tokenDialerOf(dialer: Dialer, generator: TokenGenerator): Dialer {
  if (typeof dialer !== 'function') throw new ConfigError('token-dialer: a dialer function is required');
  if (typeof generator !== 'function') {
    throw new ConfigError('token-dialer: a token generator function is required');
  }
  // Wrappers are made once per underlying client (a gRPC dialer shares those per channel), not per dial.
  const wrapped = new WeakMap<object, unknown>();
  const once = <T extends object>(inner: T, wrap: (inner: T) => T): T => {
    // A test peer may leave a client out; it fails when called, as before.
    if (typeof inner !== 'object' || inner === null) return wrap(inner);
    let outer = wrapped.get(inner) as T | undefined;
    if (outer === undefined) {
      outer = wrap(inner);
      wrapped.set(inner, outer);
    }
    return outer;
  };
  return (url: string): PeerConnection => {
    const peer = dialer(url);
    return {
      url: peer.url,
      networkService: once(peer.networkService, (inner) => networkService(inner, generator)),
      monitorConnection: once(peer.monitorConnection, (inner) => monitor(inner, generator)),
      nsRegistry: once(peer.nsRegistry, (inner) => registry(inner, generator)),
      nseRegistry: once(peer.nseRegistry, (inner) => registry(inner, generator)),
      close: () => peer.close(),
    };
  };
}
