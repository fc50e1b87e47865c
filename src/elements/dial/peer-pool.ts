/** The connections one `dial` element opened: each is closed exactly once, and all of them when its chain ends. */
import { withCancel } from '../../chain/cancel.js';
import type { CallContext } from '../../chain/context.js';
import { Code, StatusError } from '../../chain/errors.js';
import type { Dialer, PeerConnection } from '../../chain/peer.js';

/**
 * What a peer may offer so `dial` can wait until it is connected, bounded by `dialTimeoutMs` (Go's blocking
 * dial). Resolves once connected; rejects when it cannot connect or `signal` aborts. Optional: without it the
 * first call connects.
 */
export type ReadyPeer = PeerConnection & { ready?: (signal: AbortSignal) => Promise<void> };

/** Which pool owns a dialed connection, so any `dial` element can tell its own kind from a static one. */
const owners = new WeakMap<PeerConnection, PeerPool>();

/** True when `peer` was opened by a `dial` element (and is not a static `clientConn` connection). */
export function isDialed(peer: PeerConnection): boolean {
  return owners.has(peer);
}

/** Closes a dialed connection through its owner; a no-op when it was closed already. */
export function releasePeer(peer: PeerConnection): void {
  owners.get(peer)?.release(peer);
}

function dialFailed(url: string, message: string, cause: unknown): StatusError {
  return new StatusError(Code.UNAVAILABLE, `dial: ${url}: ${message}`, { reason: 'DIAL_FAILED', cause });
}

export class PeerPool {
  readonly #live = new Set<PeerConnection>();
  readonly #dialer: Dialer;
  readonly #dialTimeoutMs: number;
  #closed = false;

  constructor(dialer: Dialer, dialTimeoutMs: number, chainSignal: AbortSignal | undefined) {
    this.#dialer = dialer;
    this.#dialTimeoutMs = dialTimeoutMs;
    if (chainSignal?.aborted) this.#closed = true;
    chainSignal?.addEventListener('abort', () => this.closeAll(), { once: true });
  }

  /** Connections open now. */
  get size(): number {
    return this.#live.size;
  }

  /**
   * Dials `url` and, when the peer can tell, waits until it is connected (at most `dialTimeoutMs`). Throws
   * UNAVAILABLE `DIAL_FAILED` when the dialer throws, the peer cannot connect, or the chain has ended; the
   * abort reason when `ctx` is cancelled first.
   */
  async open(url: string, ctx: CallContext): Promise<PeerConnection> {
    if (this.#closed) throw dialFailed(url, 'the chain has ended', undefined);
    let peer: ReadyPeer;
    try {
      peer = this.#dialer(url);
    } catch (error) {
      throw dialFailed(url, 'cannot dial', error);
    }
    this.#live.add(peer);
    owners.set(peer, this);
    if (typeof peer.ready !== 'function') return peer;
    const scope = withCancel(ctx, this.#dialTimeoutMs === 0 ? undefined : this.#dialTimeoutMs);
    try {
      await peer.ready(scope.ctx.signal);
      return peer;
    } catch (error) {
      this.release(peer);
      if (ctx.signal.aborted) throw ctx.signal.reason;
      throw dialFailed(url, 'not connected', error);
    } finally {
      scope.cancel();
    }
  }

  release(peer: PeerConnection): void {
    if (this.#live.delete(peer)) peer.close();
  }

  closeAll(): void {
    this.#closed = true;
    for (const peer of [...this.#live]) this.release(peer);
  }
}
