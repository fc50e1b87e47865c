/**
 * `update-path`: adds or finds this hop's segment in the connection path (NSM `common/updatepath`).
 * @module
 */
import type { NetworkServiceElement } from '../../chain/network-service.js';
import { updatePathElement } from './update-path.js';

/**
 * Server side of NSM's path bookkeeping, on Request and Close. An empty path gets segment 0 named `name`
 * (id: the connection id, or a new UUID); a path whose current segment is ours is a refresh; otherwise the
 * element steps to the next segment: it reuses it when it has our name, renames it with a new UUID when the
 * path diverged there, or appends one. The connection id becomes our segment's id. On the way back the
 * caller's index and id are restored, so each hop sees the response from its own point of view.
 *
 * Errors: INVALID_ARGUMENT `UPDATEPATH_INDEX_OUT_OF_RANGE` (path index past the segments) and
 * `UPDATEPATH_ID_MISMATCH` (connection id is not the current segment's id).
 *
 * Where in the chain: first in every server chain (endpoint, nsmgr, forwarder), before `begin`, so `begin`
 * queues by this hop's connection id.
 * @param name this hop's name (NSE, nsmgr or forwarder name); a non-empty string.
 * @example
 * const nse = networkServiceHandler([updatePathServer('nse-1'), beginServer(), metadata()]);
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/updatepath
 * @see updatePathClient
 */
export function updatePathServer(name: string): NetworkServiceElement {
  return updatePathElement(name);
}

/**
 * Client side of the path bookkeeping: the same state machine as {@link updatePathServer}. A client chain
 * inside a server (nsmgr, forwarder) uses the server's name, so one hop yields one segment; a standalone
 * client (NSC) creates segment 0.
 *
 * Where in the chain: first in every client chain (`chains/client`), before `beginClient`.
 * @param name this client's name; inside a server, the server's name.
 * @example
 * const nsc = networkServiceHandler([updatePathClient('nsc'), beginClient(), metadata(), connect()]);
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/updatepath
 * @see updatePathServer
 */
export function updatePathClient(name: string): NetworkServiceElement {
  return updatePathElement(name);
}
