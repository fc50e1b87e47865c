/**
 * The event factory `begin` keeps per connection: the FIFO executor every Request/Close of that connection
 * runs on, the last successful request, and the means for any element after `begin` to re-run Request or
 * Close from inside the chain (refresh, heal and timeout use it).
 */
import { State, type Connection } from '../../api/gen/connection.js';
import type { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { cloneMessage } from '../../api/clone.js';
import { postpone, type CancelScope } from '../../chain/cancel.js';
import { contextKey, type CallContext } from '../../chain/context.js';
import type { NetworkServiceHandler } from '../../chain/network-service.js';
import { SerialExecutor } from '../../chain/serial-executor.js';

/** Options of an event. */
export interface EventOptions {
  /** When this signal has aborted by the time the event's turn comes, the event is skipped. */
  readonly cancelSignal?: AbortSignal;
  /** Client only: close the current path first and re-request with the reselect function applied. */
  readonly reselect?: boolean;
}

/** What became of an event: it ran (`done` or `failed`), or it was `skipped` (closed, or cancelled). */
export type EventOutcome =
  | { readonly status: 'done' }
  | { readonly status: 'skipped' }
  | { readonly status: 'failed'; readonly error: unknown };

/** Fires a Request or Close of one connection from inside the chain. The promise never rejects. */
export interface EventFactory {
  request(options?: EventOptions): Promise<EventOutcome>;
  close(options?: EventOptions): Promise<EventOutcome>;
}

/** Changes a request on reselect (client begin). */
export type ReselectFunc = (request: NetworkServiceRequest) => NetworkServiceRequest;

/** NSM's default: forget the mechanism and the endpoint, and say so with RESELECT_REQUESTED. */
export const defaultReselect: ReselectFunc = (request) =>
  request.connection === undefined
    ? request
    : {
        ...request,
        connection: {
          ...request.connection,
          mechanism: undefined,
          networkServiceEndpointName: '',
          state: State.RESELECT_REQUESTED,
        },
      };

/** Like the default, but keeps the endpoint: only the path to it is rebuilt. */
export const reselectSameEndpoint: ReselectFunc = (request) =>
  request.connection === undefined
    ? request
    : {
        ...request,
        connection: { ...request.connection, mechanism: undefined, state: State.RESELECT_REQUESTED },
      };

export const eventFactoryKey = contextKey<EventFactory>('begin/event-factory');

/** The event factory of the connection being handled; undefined outside a `begin`. */
export function eventFactoryOf(ctx: CallContext): EventFactory | undefined {
  return ctx.value(eventFactoryKey);
}

const done: EventOutcome = { status: 'done' };
const skipped: EventOutcome = { status: 'skipped' };

/** @internal */
export interface ConnectionEventsOptions {
  readonly side: 'client' | 'server';
  readonly forget: () => void;
  /** True while no other factory has taken this connection id. */
  readonly isCurrent: () => boolean;
  readonly reselect?: ReselectFunc | undefined;
}

/** @internal One connection's state in `begin`; shared by the server and client variants. */
export class ConnectionEvents implements EventFactory {
  state: 'zero' | 'established' | 'closed' = 'zero';
  readonly executor = new SerialExecutor();
  /** The last successful request, its connection replaced by the returned one. */
  stored: NetworkServiceRequest | undefined;
  /** The last Close failed downstream: an event may still close the stored connection. */
  lastCloseFailed = false;
  /** What client `begin` last returned to its caller (its merge input; the server side keeps none). */
  returned: Connection | undefined;
  readonly #initialContext: () => CancelScope;
  #valuesContext: CallContext;

  readonly #next: NetworkServiceHandler;
  readonly #side: 'client' | 'server';
  readonly #options: ConnectionEventsOptions;
  readonly #reselect: ReselectFunc;

  /**
   * @param ctx the first call's context: events get its timeout length
   * @param next the rest of the chain after `begin`, which events run through
   * @param forget removes this factory from its table
   */
  constructor(ctx: CallContext, next: NetworkServiceHandler, options: ConnectionEventsOptions) {
    this.#initialContext = postpone(ctx);
    this.#valuesContext = ctx;
    this.#next = next;
    this.#side = options.side;
    this.#options = options;
    this.#reselect = options.reselect ?? defaultReselect;
  }

  /** Future events carry the values of this call's context. */
  rememberValues(ctx: CallContext): void {
    this.#valuesContext = ctx;
  }

  /** A fresh context for an event: the original timeout length, the last call's values, this factory. */
  eventContext(): CancelScope {
    const scope = this.#initialContext();
    return {
      ctx: scope.ctx.withValuesOf(this.#valuesContext).with(eventFactoryKey, this),
      cancel: scope.cancel,
    };
  }

  markClosed(): void {
    this.state = 'closed';
    this.#options.forget();
  }

  request(options: EventOptions = {}): Promise<EventOutcome> {
    return this.executor.run(async () => {
      if (this.state !== 'established' || this.stored === undefined || options.cancelSignal?.aborted)
        return skipped;
      let request = cloneMessage(this.stored);
      if (options.reselect === true && this.#side === 'client') {
        await this.#closeIgnoringErrors(request.connection);
        request = this.#reselect(request);
      }
      const scope = this.eventContext();
      try {
        const connection = await this.#next.request(request, scope.ctx);
        const stored = this.#side === 'client' ? { ...connection, state: State.UP } : connection;
        this.stored = { ...this.stored, connection: cloneMessage(stored) };
        return done;
      } catch (error) {
        return { status: 'failed', error };
      } finally {
        scope.cancel();
      }
    });
  }

  close(options: EventOptions = {}): Promise<EventOutcome> {
    return this.executor.run(async () => {
      // A Close that failed downstream (e.g. its context ran out) can be retried by an event: timeout relies on
      // it to clean up the path when the connection's token expires.
      // Never once the id is in use again: the old and new paths share connection ids downstream.
      const closable = this.state === 'established' || (this.lastCloseFailed && this.#options.isCurrent());
      if (!closable || this.stored?.connection === undefined || options.cancelSignal?.aborted) {
        return skipped;
      }
      const scope = this.eventContext();
      try {
        await this.#next.close(this.stored.connection, scope.ctx);
        this.lastCloseFailed = false;
        return done;
      } catch (error) {
        this.lastCloseFailed = true;
        return { status: 'failed', error };
      } finally {
        scope.cancel();
        this.markClosed();
      }
    });
  }

  async #closeIgnoringErrors(connection: Connection | undefined): Promise<void> {
    if (connection === undefined) return;
    const scope = this.eventContext();
    try {
      await this.#next.close(connection, scope.ctx);
    } catch {
      // The old path may already be gone; reselect goes on regardless, as in NSM.
    } finally {
      scope.cancel();
    }
  }
}
