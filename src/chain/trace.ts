/**
 * Optional tracing of chains: each element's entry, and each error once, at debug level. Applied when a chain
 * is built and only when the logger has debug enabled, so a chain built with tracing off runs exactly the
 * untraced elements: tracing costs nothing when off.
 * @module
 */
import type { AnyHandler, ElementOf } from './compose.js';
import type { CallContext } from './context.js';
import type { Logger } from './logger.js';

type Fn = (input: unknown, ctx: CallContext, next: unknown) => unknown;

const logged = new WeakSet<object>();

/** An id to correlate log lines: the connection id of a Request/Close, the entry name of a registry call. */
function subjectOf(input: unknown): string | undefined {
  const value = input as { connection?: { id?: string }; id?: string; name?: string } | undefined;
  return value?.connection?.id ?? value?.id ?? value?.name;
}

function traceElement<THandler extends AnyHandler>(
  methods: readonly (keyof THandler)[],
  element: ElementOf<THandler>,
  logger: Logger,
): ElementOf<THandler> {
  const traced: Record<PropertyKey, unknown> = { name: element.name };
  for (const method of methods) {
    const own = (element as unknown as Record<PropertyKey, Fn | undefined>)[method];
    if (own === undefined) continue;
    traced[method] = (input: unknown, ctx: CallContext, next: unknown) => {
      const fields = { element: element.name, method: String(method), id: subjectOf(input) };
      logger.log('debug', 'enter', fields);
      const result = own.call(element, input, ctx, next);
      if (result instanceof Promise) {
        result.catch((err: unknown) => {
          // An error climbs through every element on its way up: log it where it appeared only.
          if (typeof err === 'object' && err !== null && !logged.has(err)) {
            logged.add(err);
            logger.log('debug', 'error', { ...fields, error: err });
          }
        });
      }
      return result;
    };
  }
  return traced as ElementOf<THandler>;
}

/** `elements` wrapped for tracing when `logger` has debug on; the same array otherwise. */
export function traced<TElement extends { readonly name: string }>(
  methods: readonly PropertyKey[],
  elements: readonly TElement[],
  logger: Logger,
): readonly TElement[] {
  if (!logger.isEnabled('debug')) return elements;
  return elements.map(
    (element) =>
      traceElement<AnyHandler>(methods as never, element as ElementOf<AnyHandler>, logger) as TElement,
  );
}
