/**
 * MonitorConnections chains: a stream of ConnectionEvents as an rxjs Observable.
 * @module
 */
import { EMPTY, type Observable } from 'rxjs';
import type { ConnectionEvent, MonitorScopeSelector } from '../api/gen/connection.js';
import { bindAll, composeElements, type ElementOf } from './compose.js';
import type { CallContext } from './context.js';

/**
 * The rest of a monitor chain. The returned Observable emits INITIAL_STATE_TRANSFER first, then updates; it is
 * cold, and unsubscribing (or aborting `ctx.signal`) ends the stream.
 */
export interface MonitorHandler {
  monitorConnections(selector: MonitorScopeSelector, ctx: CallContext): Observable<ConnectionEvent>;
}

export type MonitorElement = ElementOf<MonitorHandler>;

export const monitorMethods = ['monitorConnections'] as const satisfies readonly (keyof MonitorHandler)[];

/** NSM's tail: the stream ends at once. */
export const monitorTail: MonitorHandler = { monitorConnections: () => EMPTY };

export function monitorChain(...elements: readonly MonitorElement[]): MonitorElement {
  return composeElements<MonitorHandler>(monitorMethods, elements);
}

export function monitorHandler(
  elements: readonly MonitorElement[],
  tail: MonitorHandler = monitorTail,
): MonitorHandler {
  return bindAll<MonitorHandler>(monitorMethods, elements, tail);
}
