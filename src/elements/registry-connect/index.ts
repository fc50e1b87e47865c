/**
 * Registry `clienturl`, `dial` and `connect`: where a registry client chain sends its calls, the connections it
 * sends them on, and the bridge from a registry server chain to a client chain (NSM
 * `registry/common/{clienturl,clientconn,dial,connect}`).
 * @module
 */
import type {
  NetworkService,
  NetworkServiceEndpoint,
  NetworkServiceEndpointQuery,
  NetworkServiceEndpointResponse,
  NetworkServiceQuery,
  NetworkServiceResponse,
} from '../../api/gen/registry.js';
import { ConfigError } from '../../chain/errors.js';
import type { Dialer } from '../../chain/peer.js';
import type {
  NseRegistryElement,
  NseRegistryHandler,
  NsRegistryElement,
  NsRegistryHandler,
} from '../../chain/registry.js';
import { connectServer, registryConnect } from './connect.js';
import { registryDial, type DialElement, type DialSettings } from './dial.js';

export { registryClientUrl } from './client-url.js';
export { registryPeerOf, withRegistryPeer } from './peer-context.js';
export type { DialElement } from './dial.js';

export interface RegistryDialOptions {
  /** Opens connections; in production `grpcDialer()` from `api/peer.ts`. Required. */
  readonly dialer: Dialer;
  /**
   * How long a fresh connection may take to become ready, in ms, when the dialer's connections can report
   * readiness (a `waitForReady(ms)` method); 0 waits for nothing. Default: 300 (Go's registry client default).
   */
  readonly dialTimeoutMs?: number;
  /** Closes every connection when it aborts. Default: none (connections close with their last user). */
  readonly chainSignal?: AbortSignal;
}

function settingsOf(options: RegistryDialOptions): DialSettings {
  const { dialer, dialTimeoutMs = 300, chainSignal } = options ?? ({} as Partial<RegistryDialOptions>);
  if (typeof dialer !== 'function') throw new ConfigError('registry-dial: dialer is required');
  if (!Number.isFinite(dialTimeoutMs) || dialTimeoutMs < 0)
    throw new ConfigError('registry-dial: dialTimeoutMs must be a finite number ≥ 0');
  return { dialer, dialTimeoutMs, chainSignal };
}

/**
 * Connects NSE registry calls to the URL in the context (`registryClientUrl` or discovery sets it) and puts the
 * connection in the context for {@link registryConnectNse}; without a URL it passes through. Connections are
 * shared per URL: a registered name holds its connection until it unregisters (a name registered again at
 * another URL is first unregistered at the old one), each call and each Find holds it while running; the last
 * user closes it. After an UNAVAILABLE failure the next user dials afresh. A refused dial fails with
 * UNAVAILABLE (REGISTRY_DIAL_FAILED); after `chainSignal` aborts, calls fail with REGISTRY_DIAL_CLOSED.
 *
 * Where in the chain: in a registry client chain after `registryClientUrl`, before `registryConnectNse`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/dial
 */
export function registryDialNse(
  options: RegistryDialOptions,
): DialElement<NetworkServiceEndpoint, NetworkServiceEndpointQuery, NetworkServiceEndpointResponse> {
  return registryDial(settingsOf(options));
}

/**
 * {@link registryDialNse} for the NS registry.
 *
 * Where in the chain: in an NS registry client chain after `registryClientUrl`, before `registryConnectNs`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/dial
 */
export function registryDialNs(
  options: RegistryDialOptions,
): DialElement<NetworkService, NetworkServiceQuery, NetworkServiceResponse> {
  return registryDial(settingsOf(options));
}

/**
 * The terminal NSE registry client element: calls the next hop's NSE registry on the connection in the context
 * (from {@link registryDialNse} or `withRegistryPeer`); without one it fails with INTERNAL
 * (REGISTRY_CONNECT_NO_PEER).
 *
 * Where in the chain: last in a registry client chain.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/connect
 */
export function registryConnectNse(): NseRegistryElement {
  return registryConnect((peer) => peer.nseRegistry);
}

/**
 * {@link registryConnectNse} for the NS registry.
 *
 * Where in the chain: last in an NS registry client chain.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/connect
 */
export function registryConnectNs(): NsRegistryElement {
  return registryConnect((peer) => peer.nsRegistry);
}

/**
 * Bridges a registry server chain to the NSE registry client chain `client`. Register goes through the client,
 * then on through the server chain with the client's response; if that fails, the registration is undone
 * through the client (with a fresh context of the same timeout length). Find sends what the client finds, then
 * what the rest of the server chain finds. Unregister goes through the client, then the server chain, and fails
 * with the first error either gave.
 *
 * Where in the chain: in the nsmgr's registry chains, where a remote registry takes the place of `memory`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/connect
 */
export function connectNseRegistryServer(client: NseRegistryHandler): NseRegistryElement {
  if (client === undefined) throw new ConfigError('registry-connect: a client handler is required');
  return connectServer(client);
}

/**
 * {@link connectNseRegistryServer} for the NS registry.
 *
 * Where in the chain: in the nsmgr's NS registry chain, in place of `memory` when there is a remote registry.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/connect
 */
export function connectNsRegistryServer(client: NsRegistryHandler): NsRegistryElement {
  if (client === undefined) throw new ConfigError('registry-connect: a client handler is required');
  return connectServer(client);
}
