/**
 * NetworkService (Request/Close) chains: the handler and element types, NSM's tail, and `chain()`.
 * @module
 */
import { Connection } from '../api/gen/connection.js';
import type { NetworkServiceRequest } from '../api/gen/networkservice.js';
import { bindAll, composeElements, type ElementOf } from './compose.js';
import type { CallContext } from './context.js';

/** The rest of a NetworkService chain, as one element sees it; also what a server or client exposes. */
export interface NetworkServiceHandler {
  request(request: NetworkServiceRequest, ctx: CallContext): Promise<Connection>;
  close(connection: Connection, ctx: CallContext): Promise<void>;
}

/** A NetworkService chain element. A method left out passes straight through to `next`. */
export type NetworkServiceElement = ElementOf<NetworkServiceHandler>;

/** The method names of a NetworkService handler, for generic tools (trace, checks). */
export const networkServiceMethods = [
  'request',
  'close',
] as const satisfies readonly (keyof NetworkServiceHandler)[];

/**
 * NSM's tail: Request returns the request's connection unchanged (an empty one if absent), Close does nothing.
 */
export const networkServiceTail: NetworkServiceHandler = {
  request: (request) => Promise.resolve(request.connection ?? emptyConnection()),
  close: () => Promise.resolve(),
};

function emptyConnection(): Connection {
  return Connection.create();
}

/**
 * Composes elements into one element; nested chains continue into the outer chain's rest, an empty chain
 * passes through.
 * @example
 * const server = networkServiceHandler([updatePathServer('nse'), beginServer(), myElement()]);
 */
export function chain(...elements: readonly NetworkServiceElement[]): NetworkServiceElement {
  return composeElements<NetworkServiceHandler>(networkServiceMethods, elements);
}

/** Binds elements in front of `tail` (NSM's tail by default), giving the handler a server or client runs. */
export function networkServiceHandler(
  elements: readonly NetworkServiceElement[],
  tail: NetworkServiceHandler = networkServiceTail,
): NetworkServiceHandler {
  return bindAll<NetworkServiceHandler>(networkServiceMethods, elements, tail);
}
