/**
 * `trim-path`: drops stale path segments after the endpoint that ends the path (NSM `common/trimpath`).
 * @module
 */
import type { NetworkServiceElement } from '../../chain/network-service.js';
import { trimPathClientElement, trimPathServerElement } from './trim-path.js';

/**
 * After a successful Request, cuts the returned path after this hop's segment (at the returned index), which
 * removes segments left over from a longer earlier path (e.g. after a reselect). It does not trim when a
 * `trimPathClient` in the same connection's chain succeeded during this Request: then this hop passes the
 * connection on (nsmgr, forwarder, passthrough NSE) and the path beyond it is live. Close passes through.
 *
 * Where in the chain: in every endpoint, after `metadata` (it reads the client half of the connection's
 * metadata; missing metadata fails with `METADATA_MISSING`), before the elements that continue the path.
 * @example
 * const nse = networkServiceHandler([updatePathServer('nse'), beginServer(), metadata(), trimPathServer()]);
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/trimpath
 * @see trimPathClient
 */
export function trimPathServer(): NetworkServiceElement {
  return trimPathServerElement();
}

/**
 * Marks, in the client half of the connection's metadata, that this Request continued the path to another
 * hop, so the `trimPathServer` of the same chain leaves the returned path whole. Close passes through.
 *
 * Where in the chain: in every client chain (`chains/client`), right before `connect`, after `metadata`.
 * @example
 * const client = chain(updatePathClient('nsmgr'), beginClient(), metadata(), trimPathClient(), connect());
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/trimpath
 * @see trimPathServer
 */
export function trimPathClient(): NetworkServiceElement {
  return trimPathClientElement();
}
