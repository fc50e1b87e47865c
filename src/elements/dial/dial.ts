import type { Connection } from '../../api/gen/connection.js';
import { postpone, type CancelScope } from '../../chain/cancel.js';
import { clientUrlOf, withClientUrl } from '../../chain/client-url.js';
import type { CallContext } from '../../chain/context.js';
import { ConfigError } from '../../chain/errors.js';
import { loggerOf } from '../../chain/logger.js';
import { metadataOf, type MetadataMap } from '../../chain/metadata.js';
import type { NetworkServiceElement, NetworkServiceHandler } from '../../chain/network-service.js';
import { clientConnectionKey, type Dialer, type PeerConnection } from '../../chain/peer.js';
import { isDialed, PeerPool, releasePeer } from './peer-pool.js';

export interface DialOptions {
  /** Opens connections; `grpcDialer()` from the api in production, an in-memory dialer in tests. */
  readonly dialer: Dialer;
  /**
   * How long to wait for a new connection to be ready, when the peer can report readiness (a `ready(signal)`
   * method); 0 waits as long as the call's context allows. Default: 15000.
   */
  readonly dialTimeoutMs?: number;
  /** When it aborts, every connection this element opened is closed and later dials fail. */
  readonly chainSignal?: AbortSignal | undefined;
}

/**
 * Dials the URL in the context (`clientUrl`, discovery) for each Request and Close and keeps the connection
 * in the connection's client metadata, where `connectClient`, `heal` and monitoring find it. Each call gets a
 * fresh connection and the previous one is closed, so a restarted peer is reached again. When the URL changed
 * since the last call, the old path is closed first, through the rest of the chain with the old URL. A failed
 * first Request, and every Close, closes the connection and removes it; a static connection (`clientConn`) or
 * a context without a URL passes through. Every connection it opens is closed exactly once.
 *
 * Where in the chain: after `clientUrl`, `clientConn` and `heal`, before `connectClient`.
 * @throws ConfigError for a missing dialer or a bad `dialTimeoutMs`
 * @example
 * const client = networkServiceHandler([beginClient(), metadata(), clientUrl(url), dial({ dialer: grpcDialer() }), connectClient()]);
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/dial
 */
export function dial(options: DialOptions): NetworkServiceElement & { readonly size: number } {
  const { dialer, dialTimeoutMs = 15_000, chainSignal } = options;
  if (typeof dialer !== 'function') throw new ConfigError('dial: dialer must be a function');
  if (!Number.isFinite(dialTimeoutMs) || dialTimeoutMs < 0) {
    throw new ConfigError(`dial: dialTimeoutMs must be a finite number >= 0, got ${dialTimeoutMs}`);
  }
  const pool = new PeerPool(dialer, dialTimeoutMs, chainSignal);

  /** A fresh connection to `url` stored in place of `previous`, which is closed; `previous` if dialing fails. */
  const redial = async (url: string, ctx: CallContext, md: MetadataMap, previous: PeerConnection) => {
    try {
      const peer = await pool.open(url, ctx);
      md.set(clientConnectionKey, peer);
      if (peer !== previous) releasePeer(previous);
      return peer;
    } catch (error) {
      loggerOf(ctx).log('warn', 'dial: cannot redial, using the previous connection', { url, error });
      return previous;
    }
  };

  /** Closes the path that went to `previous.url` (Go: on a URL change), ignoring errors as NSM does. */
  const closeOldPath = async (old: {
    readonly connection: Connection | undefined;
    readonly previous: PeerConnection;
    readonly scope: CancelScope;
    readonly md: MetadataMap;
    readonly next: NetworkServiceHandler;
  }) => {
    const { connection, previous, scope, md, next } = old;
    try {
      const peer = await redial(previous.url, scope.ctx, md, previous);
      if (connection !== undefined) await next.close(connection, withClientUrl(scope.ctx, peer.url));
    } catch (error) {
      loggerOf(scope.ctx).log('warn', 'dial: closing the old path failed', { url: previous.url, error });
    } finally {
      scope.cancel();
    }
  };

  return {
    name: 'dial',
    /** Connections open now (for leak checks). */
    get size() {
      return pool.size;
    },
    async request(request, ctx, next) {
      const closeContext = postpone(ctx);
      const url = clientUrlOf(ctx);
      if (url === undefined) return next.request(request, ctx);
      const md = metadataOf(ctx, 'client');
      const stored = md.get(clientConnectionKey);
      if (stored !== undefined && !isDialed(stored)) return next.request(request, ctx);
      if (stored !== undefined && stored.url !== url) {
        await closeOldPath({
          connection: request.connection,
          previous: stored,
          scope: closeContext(),
          md,
          next,
        });
      }
      const previous = md.get(clientConnectionKey);
      const peer = await pool.open(url, ctx);
      md.set(clientConnectionKey, peer);
      if (previous !== undefined && previous !== peer) releasePeer(previous);
      try {
        return await next.request(request, ctx);
      } catch (error) {
        if (stored === undefined) {
          if (md.get(clientConnectionKey) === peer) md.delete(clientConnectionKey);
          releasePeer(peer);
        }
        throw error;
      }
    },
    async close(connection, ctx, next) {
      const md = metadataOf(ctx, 'client');
      const stored = md.get(clientConnectionKey);
      if (stored === undefined || !isDialed(stored)) return next.close(connection, ctx);
      const peer = await redial(clientUrlOf(ctx) ?? stored.url, ctx, md, stored);
      try {
        await next.close(connection, ctx);
      } finally {
        if (md.get(clientConnectionKey) === peer) md.delete(clientConnectionKey);
        releasePeer(peer);
      }
    },
  };
}
