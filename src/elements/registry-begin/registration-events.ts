/**
 * One registration's state in the registry `begin`: a FIFO executor for every call on that name, the last
 * successful registration, and the event factory that lets refresh, heal and expire re-register or unregister
 * from inside the chain.
 */
import { cloneMessage } from '../../api/clone.js';
import { postpone, type CancelScope } from '../../chain/cancel.js';
import { contextKey, type CallContext, type ContextKey } from '../../chain/context.js';
import type { RegistryHandler } from '../../chain/registry.js';
import { SerialExecutor } from '../../chain/serial-executor.js';
import type { EventOutcome } from '../begin/index.js';

export interface RegistryEventOptions {
  /** When this signal has aborted by the time the event's turn comes, the event is skipped. */
  readonly cancelSignal?: AbortSignal;
}

/** Re-runs Register or Unregister of one registration from inside the chain. The promise never rejects. */
export interface RegistryEventFactory {
  register(options?: RegistryEventOptions): Promise<EventOutcome>;
  unregister(options?: RegistryEventOptions): Promise<EventOutcome>;
}

export const nsEventFactoryKey: ContextKey<RegistryEventFactory> = contextKey('registry-begin/ns');
export const nseEventFactoryKey: ContextKey<RegistryEventFactory> = contextKey('registry-begin/nse');

/** How a response is folded into the stored registration: keep the caller's name. */
export type Merge<TEntry> = (stored: TEntry, response: TEntry) => TEntry;

const skipped: EventOutcome = { status: 'skipped' };

/** @internal */
export interface RegistrationEventsOptions<TEntry> {
  readonly side: 'client' | 'server';
  /** The context key events put this factory under. */
  readonly key: ContextKey<RegistryEventFactory>;
  readonly merge: Merge<TEntry>;
  /** Removes this factory from its table. */
  readonly forget: () => void;
}

/** @internal */
export class RegistrationEvents<TEntry, TQuery, TResponse> implements RegistryEventFactory {
  state: 'zero' | 'established' | 'closed' = 'zero';
  readonly executor = new SerialExecutor();
  registration: TEntry | undefined;
  response: TEntry | undefined;
  readonly #initialContext: () => CancelScope;
  #valuesContext: CallContext;

  readonly #next: RegistryHandler<TEntry, TQuery, TResponse>;
  readonly #options: RegistrationEventsOptions<TEntry>;

  constructor(
    ctx: CallContext,
    next: RegistryHandler<TEntry, TQuery, TResponse>,
    options: RegistrationEventsOptions<TEntry>,
  ) {
    this.#initialContext = postpone(ctx);
    this.#valuesContext = ctx;
    this.#next = next;
    this.#options = options;
  }

  /** Records a successful Register of `requested` answered by `response`. */
  established(requested: TEntry, response: TEntry, ctx: CallContext): void {
    this.registration = this.#options.merge(requested, cloneMessage(response));
    this.response = cloneMessage(response);
    this.state = 'established';
    this.#valuesContext = ctx;
  }

  markClosed(): void {
    this.state = 'closed';
    this.#options.forget();
  }

  eventContext(): CancelScope {
    const scope = this.#initialContext();
    return {
      ctx: scope.ctx.withValuesOf(this.#valuesContext).with(this.#options.key, this),
      cancel: scope.cancel,
    };
  }

  register(options: RegistryEventOptions = {}): Promise<EventOutcome> {
    return this.executor.run(async () => {
      const registration = this.registration;
      if (this.state !== 'established' || registration === undefined || options.cancelSignal?.aborted)
        return skipped;
      const scope = this.eventContext();
      try {
        const response = await this.#next.register(cloneMessage(registration), scope.ctx);
        this.registration =
          this.#options.side === 'client' ? this.#options.merge(registration, response) : response;
        return { status: 'done' };
      } catch (error) {
        return { status: 'failed', error };
      } finally {
        scope.cancel();
      }
    });
  }

  unregister(options: RegistryEventOptions = {}): Promise<EventOutcome> {
    return this.executor.run(async () => {
      const entry = this.#options.side === 'client' ? this.response : this.registration;
      if (this.state !== 'established' || entry === undefined || options.cancelSignal?.aborted)
        return skipped;
      const scope = this.eventContext();
      try {
        await this.#next.unregister(entry, scope.ctx);
        return { status: 'done' };
      } catch (error) {
        return { status: 'failed', error };
      } finally {
        scope.cancel();
        this.markClosed();
      }
    });
  }
}
