/**
 * Watching one connection for failure (Go's heal `eventLoop`, its monitoring half): the next hop's control
 * plane through its MonitorConnections stream, and the data plane through the liveness check when given.
 */
import { type Subscription } from 'rxjs';
import { State, type Connection } from '../../api/gen/connection.js';
import { isAbortError, withCancel, type CancelScope } from '../../chain/cancel.js';
import { clockOf, type Timer } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { Code, isStatusError } from '../../chain/errors.js';
import { loggerOf } from '../../chain/logger.js';
import type { PeerConnection } from '../../chain/peer.js';
import { followConnection, nextHopSelector } from '../monitor/index.js';
import { probeLiveness, type LivenessCheck } from './liveness.js';
import type { HealSettings } from './options.js';

export interface WatchParams {
  readonly settings: HealSettings;
  readonly peer: PeerConnection;
  /** The connection as last returned; the watch keeps a copy. */
  readonly connection: Connection;
  /** The Request's context: the watch keeps its values (clock, logger), not its cancellation. */
  readonly ctx: CallContext;
  /** Called once when a failure is seen; `reselect` says whether healing must pick a new path. */
  readonly onDown: (reselect: boolean) => void;
}

/** Our own cancellation, not a failure of the next hop: no heal (Go treats gRPC Canceled the same way). */
function isCancellation(error: unknown): boolean {
  return isAbortError(error) || (isStatusError(error) && error.code === Code.CANCELLED);
}

/** One connection's watch. `stop()` ends it; it also ends with the chain signal and after reporting down. */
export class ConnectionWatch {
  /** Set once a failure was seen and healing handed over to (Go's `healingStarted`). */
  healingStarted = false;
  readonly #params: WatchParams;
  readonly #scope: CancelScope;
  #subscription: Subscription | undefined;
  #timer: Timer | undefined;

  /** Starts watching; throws (having stopped) when the next hop's monitor cannot be asked at all. */
  constructor(params: WatchParams) {
    this.#params = params;
    const base = CallContext.of({ signal: params.settings.chainSignal }).withValuesOf(params.ctx);
    this.#scope = withCancel(base);
    const signal = this.#scope.ctx.signal;
    signal.addEventListener('abort', () => this.#release(), { once: true });
    if (params.settings.livenessCheck !== undefined) this.#scheduleProbe(params.settings.livenessCheck);
    try {
      this.#watchControlPlane();
    } catch (error) {
      this.stop();
      throw error;
    }
    if (signal.aborted) this.#release();
  }

  stop(): void {
    this.#scope.cancel();
  }

  #release(): void {
    this.#subscription?.unsubscribe();
    this.#timer?.cancel();
  }

  #watchControlPlane(): void {
    const { peer, connection } = this.#params;
    const id = connection.id;
    this.#subscription = peer.monitorConnection
      .monitorConnections(nextHopSelector(connection), this.#scope.ctx)
      .pipe(followConnection(connection))
      .subscribe({
        next: (event) => {
          if (event.connections[id]?.state === State.DOWN) this.#down('control', 'reported down');
        },
        error: (error: unknown) => {
          if (isCancellation(error)) this.stop();
          else this.#down('control', error);
        },
        complete: () => this.#down('control', 'monitor stream ended'),
      });
  }

  #scheduleProbe(check: LivenessCheck): void {
    const { settings, connection } = this.#params;
    const ctx = this.#scope.ctx;
    this.#timer = clockOf(ctx).setTimeout(() => {
      void probeLiveness(check, ctx, connection, settings.livenessCheckTimeoutMs).then((alive) => {
        if (ctx.signal.aborted) return;
        if (alive) this.#scheduleProbe(check);
        else this.#down('data', 'liveness check failed');
      });
    }, settings.livenessCheckIntervalMs);
  }

  #down(plane: 'control' | 'data', cause: unknown): void {
    if (this.#scope.ctx.signal.aborted) return;
    this.healingStarted = true;
    const reselect = plane === 'data' || this.#params.settings.livenessCheck === undefined;
    loggerOf(this.#scope.ctx).log('warn', `heal: ${plane} plane is down`, {
      connectionId: this.#params.connection.id,
      reselect,
      cause,
    });
    this.stop();
    this.#params.onDown(reselect);
  }
}
