/**
 * Helper elements for tests of chains and elements (NSM `utils/inject`, `utils/checks`, `utils/count`).
 * Users writing their own elements get them from the `./testing` export.
 * @module
 */
import type { Connection } from '../api/gen/connection.js';
import type { NetworkServiceRequest } from '../api/gen/networkservice.js';
import type { CallContext } from '../chain/context.js';
import type { NetworkServiceElement } from '../chain/network-service.js';

/** Which calls an injected error hits: every call, or only the listed call numbers (1-based). */
export interface InjectErrorOptions {
  readonly error?: unknown;
  /** Fail Request calls with these numbers (1-based); default: all. An empty list never fails. */
  readonly requestCalls?: readonly number[];
  /** Fail Close calls with these numbers (1-based); default: none. */
  readonly closeCalls?: readonly number[];
}

/** Fails chosen calls with `error` instead of calling `next`. */
export function injectError(options: InjectErrorOptions = {}): NetworkServiceElement {
  const error: unknown = options.error ?? new Error('injected error');
  const fail = (): Promise<never> => Promise.reject(error);
  let requests = 0;
  let closes = 0;
  const hits = (list: readonly number[] | undefined, n: number, all: boolean): boolean =>
    list === undefined ? all : list.includes(n);
  return {
    name: 'inject-error',
    request(request, ctx, next) {
      if (hits(options.requestCalls, ++requests, true)) return fail();
      return next.request(request, ctx);
    },
    close(connection, ctx, next) {
      if (hits(options.closeCalls, ++closes, false)) return fail();
      return next.close(connection, ctx);
    },
  };
}

/** Counts calls passing through; the counters are live. */
export interface Counter extends NetworkServiceElement {
  readonly requests: number;
  readonly closes: number;
  /** Distinct connection ids seen by Request. */
  readonly uniqueRequests: number;
  /** Distinct connection ids seen by Close. */
  readonly uniqueCloses: number;
  reset(): void;
}

export function count(): Counter {
  let requests = 0;
  let closes = 0;
  const ids = new Set<string>();
  const closedIds = new Set<string>();
  return {
    name: 'count',
    get requests() {
      return requests;
    },
    get closes() {
      return closes;
    },
    get uniqueRequests() {
      return ids.size;
    },
    get uniqueCloses() {
      return closedIds.size;
    },
    reset() {
      requests = 0;
      closes = 0;
      ids.clear();
      closedIds.clear();
    },
    request(request, ctx, next) {
      requests++;
      ids.add(request.connection?.id ?? '');
      return next.request(request, ctx);
    },
    close(connection, ctx, next) {
      closes++;
      closedIds.add(connection.id);
      return next.close(connection, ctx);
    },
  };
}

/** Runs `check` on each request before passing it on (a throwing check fails the call). */
export function checkRequest(
  check: (request: NetworkServiceRequest, ctx: CallContext) => void,
): NetworkServiceElement {
  return {
    name: 'check-request',
    async request(request, ctx, next) {
      check(request, ctx);
      return next.request(request, ctx);
    },
  };
}

/** Runs `check` on each response on its way back. */
export function checkResponse(
  check: (connection: Connection, ctx: CallContext) => void,
): NetworkServiceElement {
  return {
    name: 'check-response',
    async request(request, ctx, next) {
      const connection = await next.request(request, ctx);
      check(connection, ctx);
      return connection;
    },
  };
}

/** Runs `check` on the context of every Request and Close. */
export function checkContext(check: (ctx: CallContext) => void): NetworkServiceElement {
  return {
    name: 'check-context',
    async request(request, ctx, next) {
      check(ctx);
      return next.request(request, ctx);
    },
    async close(connection, ctx, next) {
      check(ctx);
      return next.close(connection, ctx);
    },
  };
}

/** Changes the context seen by the rest of the chain (e.g. to add a value). */
export function withContext(change: (ctx: CallContext) => CallContext): NetworkServiceElement {
  return {
    name: 'with-context',
    request: async (request, ctx, next) => next.request(request, change(ctx)),
    close: async (connection, ctx, next) => next.close(connection, change(ctx)),
  };
}
