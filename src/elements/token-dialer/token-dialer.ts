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
  const cached = <T extends object>(wrap: (inner: T) => T): ((inner: T) => T) => {
    const wrapped = new WeakMap<T, T>();
    return (inner) => {
      // A test peer may leave a client out; it fails when called, as before.
      if (typeof inner !== 'object' || inner === null) return wrap(inner);
      let outer = wrapped.get(inner);
      if (outer === undefined) {
        outer = wrap(inner);
        wrapped.set(inner, outer);
      }
      return outer;
    };
  };
  const wrapService = cached((inner: NetworkServiceHandler) => networkService(inner, generator));
  const wrapMonitor = cached((inner: MonitorHandler) => monitor(inner, generator));
  const wrapNs = cached((inner: PeerConnection['nsRegistry']) => registry(inner, generator));
  const wrapNse = cached((inner: PeerConnection['nseRegistry']) => registry(inner, generator));
  return (url: string): PeerConnection => {
    const peer = dialer(url);
    return {
      url: peer.url,
      networkService: wrapService(peer.networkService),
      monitorConnection: wrapMonitor(peer.monitorConnection),
      nsRegistry: wrapNs(peer.nsRegistry),
      nseRegistry: wrapNse(peer.nseRegistry),
      close: () => peer.close(),
    };
  };
}
