/**
 * The call context every chain element receives: cancellation (an AbortSignal), the deadline to propagate
 * downstream, and an immutable bag of typed values (the TypeScript form of Go's `context.Context`).
 * @module
 */
import { setMaxListeners } from 'node:events';

/** A typed key for a value carried in a {@link CallContext}. Create one per concept, at module level. */
export interface ContextKey<TValue> {
  readonly name: string;
  /** Phantom field: ties the key to its value type. Never set. */
  readonly __type?: TValue;
}

/** Creates a context key; `name` only serves debugging. */
export function contextKey<TValue>(name: string): ContextKey<TValue> {
  return Object.freeze({ name });
}

interface ValueNode {
  readonly key: ContextKey<unknown>;
  readonly value: unknown;
  readonly parent: ValueNode | undefined;
}

const neverAborted: AbortSignal = new AbortController().signal;
// Every call on a background context listens on this one signal; the listeners are removed when calls end,
// but many calls at once would trip Node's leak warning.
setMaxListeners(0, neverAborted);

/** What a context is made from. */
export interface CallContextInit {
  /** Aborts on peer cancel or deadline. Default: never aborts. */
  readonly signal?: AbortSignal | undefined;
  /** Absolute epoch ms after which the caller gives up; data to propagate, not a timer. */
  readonly deadline?: number | undefined;
}

/**
 * Immutable call context. `with()` returns a new context; lookups walk a short linked list, which is cheaper
 * than copying a map on every `with()` for the handful of values a chain carries.
 */
export class CallContext {
  readonly signal: AbortSignal;
  readonly deadline: number | undefined;
  readonly #values: ValueNode | undefined;

  private constructor(signal: AbortSignal, deadline: number | undefined, values: ValueNode | undefined) {
    this.signal = signal;
    this.deadline = deadline;
    this.#values = values;
  }

  /** A context that is never cancelled, has no deadline and carries no values. */
  static background(): CallContext {
    return new CallContext(neverAborted, undefined, undefined);
  }

  /** A context with the given signal and deadline and no values. */
  static of(init: CallContextInit): CallContext {
    return new CallContext(init.signal ?? neverAborted, init.deadline, undefined);
  }

  /** This context plus one value (replacing an earlier value under the same key for lookups). */
  with<TValue>(key: ContextKey<TValue>, value: TValue): CallContext {
    return new CallContext(this.signal, this.deadline, { key, value, parent: this.#values });
  }

  /** The value under `key`, or undefined. */
  value<TValue>(key: ContextKey<TValue>): TValue | undefined {
    for (let node = this.#values; node !== undefined; node = node.parent) {
      if (node.key === key) return node.value as TValue;
    }
    return undefined;
  }

  /** The same values with another signal and deadline. */
  withSignal(signal: AbortSignal, deadline?: number): CallContext {
    return new CallContext(signal, deadline, this.#values);
  }

  /**
   * Cancellation and deadline of this context, values of `other` (Go's `extend.WithValuesFromContext`):
   * used by events that outlive the call that scheduled them.
   */
  withValuesOf(other: CallContext): CallContext {
    return new CallContext(this.signal, this.deadline, other.#values);
  }

  /** Milliseconds left before the deadline, or undefined when there is none. */
  remainingMs(now: number): number | undefined {
    return this.deadline === undefined ? undefined : Math.max(0, this.deadline - now);
  }

  /** Throws the abort reason if the context is already cancelled. */
  throwIfAborted(): void {
    this.signal.throwIfAborted();
  }
}
