/**
 * The registry `dial` element's connections: one per URL, shared by every registration and Find that goes
 * there, closed when the last user lets go or when the chain ends.
 */
import { Code, isStatusError, StatusError } from '../../chain/errors.js';
import type { Dialer, PeerConnection } from '../../chain/peer.js';

/** One shared connection and how many users hold it. */
export interface PeerHold {
  readonly url: string;
  readonly peer: PeerConnection;
  refs: number;
}

/** A connection that can report readiness (grpc-js channels can); used to bound the first dial. */
type Readiable = PeerConnection & { waitForReady?: (timeoutMs: number) => Promise<void> };

/** @internal */
export class PeerPool {
  /** The connection new users of a URL get. */
  readonly #byUrl = new Map<string, PeerHold>();
  /** Every connection not closed yet, including ones replaced after a failure that still have users. */
  readonly #open = new Set<PeerHold>();
  readonly #dialer: Dialer;
  readonly #dialTimeoutMs: number;
  #closed = false;

  constructor(dialer: Dialer, dialTimeoutMs: number) {
    this.#dialer = dialer;
    this.#dialTimeoutMs = dialTimeoutMs;
  }

  /** Connections open now. */
  get size(): number {
    return this.#open.size;
  }

  /** Takes one reference to the connection for `url`, dialing it when there is none. */
  async acquire(url: string): Promise<PeerHold> {
    if (this.#closed) {
      throw new StatusError(Code.UNAVAILABLE, 'registry-dial: the chain has ended', {
        reason: 'REGISTRY_DIAL_CLOSED',
      });
    }
    const live = this.#byUrl.get(url);
    if (live !== undefined) {
      live.refs++;
      return live;
    }
    const hold: PeerHold = { url, peer: this.#dialer(url), refs: 1 };
    this.#byUrl.set(url, hold);
    this.#open.add(hold);
    const ready = (hold.peer as Readiable).waitForReady;
    if (ready !== undefined && this.#dialTimeoutMs > 0) {
      try {
        await ready.call(hold.peer, this.#dialTimeoutMs);
      } catch (error) {
        this.invalidate(hold);
        this.release(hold);
        throw new StatusError(Code.UNAVAILABLE, `registry-dial: cannot connect to ${url}`, {
          reason: 'REGISTRY_DIAL_FAILED',
          cause: error,
        });
      }
    }
    return hold;
  }

  /** Lets go of one reference; the last one closes the connection. */
  release(hold: PeerHold): void {
    hold.refs--;
    if (hold.refs > 0 || !this.#open.has(hold)) return;
    this.#open.delete(hold);
    if (this.#byUrl.get(hold.url) === hold) this.#byUrl.delete(hold.url);
    hold.peer.close();
  }

  /** After an UNAVAILABLE failure, later users dial afresh instead of waiting out this channel's backoff. */
  invalidateOn(hold: PeerHold, error: unknown): void {
    if (isStatusError(error) && error.code === Code.UNAVAILABLE) this.invalidate(hold);
  }

  invalidate(hold: PeerHold): void {
    if (this.#byUrl.get(hold.url) === hold) this.#byUrl.delete(hold.url);
  }

  /** Closes every connection; later acquires fail. */
  close(): void {
    this.#closed = true;
    for (const hold of this.#open) hold.peer.close();
    this.#open.clear();
    this.#byUrl.clear();
  }
}
