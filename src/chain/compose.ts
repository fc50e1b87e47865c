/**
 * The composition engine shared by the four NSM APIs (NetworkService, MonitorConnection and the two
 * registries). A handler is an object of methods `(input, ctx) => output`; an element has the same methods
 * with the rest of the chain, `next`, as a third argument, and may leave any method out to pass through.
 * @module
 */
import type { CallContext } from './context.js';

/** Any handler: every method takes one input and the call context. */
export type AnyHandler = object;

type HandlerMethod<THandler, K extends keyof THandler> = THandler[K] extends (
  input: infer TInput,
  ctx: CallContext,
) => infer TOutput
  ? (input: TInput, ctx: CallContext, next: THandler) => TOutput
  : never;

/** A chain element for `THandler`: each method receives `next`; a missing method passes straight through. */
export type ElementOf<THandler> = {
  /** The element's name, used by tracing and error messages (the folder name for built-in elements). */
  readonly name: string;
} & { readonly [K in keyof THandler]?: HandlerMethod<THandler, K> };

type Fn = (input: unknown, ctx: CallContext, next?: unknown) => unknown;

/** Binds one element in front of `next`, giving a handler. Pass-through methods cost nothing. */
export function bindElement<THandler extends AnyHandler>(
  methods: readonly (keyof THandler)[],
  element: ElementOf<THandler>,
  next: THandler,
): THandler {
  const bound: Record<PropertyKey, Fn> = {};
  for (const method of methods) {
    const own = (element as unknown as Record<PropertyKey, Fn | undefined>)[method];
    const after = (next as unknown as Record<PropertyKey, Fn>)[method];
    bound[method] = own === undefined ? after : (input, ctx) => own.call(element, input, ctx, next);
  }
  return bound as unknown as THandler;
}

/** Binds `elements` left to right in front of `tail`. */
export function bindAll<THandler extends AnyHandler>(
  methods: readonly (keyof THandler)[],
  elements: readonly ElementOf<THandler>[],
  tail: THandler,
): THandler {
  let handler = tail;
  for (let i = elements.length - 1; i >= 0; i--) {
    handler = bindElement(methods, elements[i] as ElementOf<THandler>, handler);
  }
  return handler;
}

/**
 * Composes elements into one element. When called, it runs its elements in order and then continues into the
 * caller's `next`, so a chain nested in another chain continues with the outer chain's remaining elements
 * (Go's `nextParent`). Bindings are cached per `next`, so a nested chain costs one map lookup per call.
 */
export function composeElements<THandler extends AnyHandler>(
  methods: readonly (keyof THandler)[],
  elements: readonly ElementOf<THandler>[],
  name?: string,
): ElementOf<THandler> {
  const own = [...elements];
  const chainName = name ?? `chain(${own.map((e) => e.name).join(',')})`;
  if (own.length === 0) return { name: chainName } as ElementOf<THandler>;
  if (own.length === 1 && name === undefined) return own[0] as ElementOf<THandler>;
  const bindings = new WeakMap<THandler, THandler>();
  const boundFor = (next: THandler): THandler => {
    let bound = bindings.get(next);
    if (bound === undefined) {
      bound = bindAll(methods, own, next);
      bindings.set(next, bound);
    }
    return bound;
  };
  const composed: Record<PropertyKey, unknown> = { name: chainName };
  for (const method of methods) {
    composed[method] = (input: unknown, ctx: CallContext, next: THandler) =>
      (boundFor(next) as unknown as Record<PropertyKey, Fn>)[method]?.(input, ctx);
  }
  return composed as ElementOf<THandler>;
}
