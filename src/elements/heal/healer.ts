/**
 * Healing one connection (Go's heal `eventLoop`, its healing half): re-request through `begin`'s event
 * factory until it works, the connection is closed, or the chain ends.
 */
import type { Connection } from '../../api/gen/connection.js';
import { withCancel, type CancelScope } from '../../chain/cancel.js';
import { clockOf, delay } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { loggerOf } from '../../chain/logger.js';
import type { EventFactory, EventOutcome } from '../begin/index.js';
import { probeLiveness } from './liveness.js';
import type { HealSettings } from './options.js';

export interface HealerParams {
  readonly settings: HealSettings;
  readonly factory: EventFactory;
  /** The connection that went down (what the liveness check is asked about). */
  readonly connection: Connection;
  /** Values for the healer's context (clock, logger). */
  readonly ctx: CallContext;
  /** Called once when the healer is over, whatever the reason. */
  readonly onDone: () => void;
}

/**
 * Runs the heal attempts. With `reselect` false (the control plane went down but a liveness check exists) it
 * first checks the data plane and only keeps the path while that answers alive.
 */
export class Healer {
  /** True while an attempt is queued or running in `begin` (a Close seen then is the attempt's own). */
  eventInFlight = false;
  readonly #params: HealerParams;
  readonly #scope: CancelScope;

  constructor(params: HealerParams) {
    this.#params = params;
    const base = CallContext.of({ signal: params.settings.chainSignal }).withValuesOf(params.ctx);
    this.#scope = withCancel(base);
  }

  /** Ends the healer: no further attempt starts and a pending pause is cancelled. */
  stop(): void {
    this.#scope.cancel();
  }

  /** Never rejects. */
  async run(initialReselect: boolean): Promise<void> {
    const { settings, connection } = this.#params;
    const ctx = this.#scope.ctx;
    const signal = ctx.signal;
    let reselect = initialReselect;
    try {
      while (!signal.aborted) {
        const check = settings.livenessCheck;
        if (!reselect && check !== undefined) {
          const alive = await probeLiveness(check, ctx, connection, settings.livenessCheckTimeoutMs);
          if (signal.aborted) return;
          reselect = !alive;
        }
        const outcome = await this.#attempt(reselect);
        if (outcome.status !== 'failed') return;
        loggerOf(ctx).log('warn', 'heal: attempt failed, retrying', {
          connectionId: connection.id,
          reselect,
          error: outcome.error,
        });
        await delay(clockOf(ctx), settings.retryDelayMs, signal);
      }
    } catch {
      // Only `delay` throws, when the healer is stopped during a pause.
    } finally {
      this.#scope.cancel();
      this.#params.onDone();
    }
  }

  async #attempt(reselect: boolean): Promise<EventOutcome> {
    const cancelSignal = this.#scope.ctx.signal;
    this.eventInFlight = true;
    try {
      return await this.#params.factory.request(reselect ? { reselect, cancelSignal } : { cancelSignal });
    } finally {
      this.eventInFlight = false;
    }
  }
}

/** The heals in progress of one element, by connection id (element-wide: a reselect replaces metadata). */
export class Healers {
  readonly #byId = new Map<string, Healer>();

  constructor(private readonly settings: HealSettings) {}

  /** Starts healing `connection` with `factory`, replacing an earlier heal of it. */
  start(factory: EventFactory, connection: Connection, ctx: CallContext, reselect: boolean): void {
    const id = connection.id;
    this.#byId.get(id)?.stop();
    const healer: Healer = new Healer({
      settings: this.settings,
      factory,
      connection,
      ctx,
      onDone: () => {
        if (this.#byId.get(id) === healer) this.#byId.delete(id);
      },
    });
    this.#byId.set(id, healer);
    void healer.run(reselect);
  }

  /** The connection works again: its heal, if any, ends. */
  stop(id: string): void {
    this.#byId.get(id)?.stop();
  }

  /**
   * The connection is being closed. A Close while our own attempt is in `begin` is that attempt's reselect
   * closing the old path (begin runs one event of a connection at a time), so the heal goes on; any other Close
   * ends it.
   */
  closing(id: string): void {
    const healer = this.#byId.get(id);
    if (healer !== undefined && !healer.eventInFlight) healer.stop();
  }
}
