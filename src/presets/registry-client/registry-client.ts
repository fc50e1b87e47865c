/**
 * The registry client presets (Go `registry/chains/client`): how NSEs and forwarders register with their nsmgr
 * (refreshed before expiry, re-registered when the nsmgr restarts) and how anyone queries a registry.
 */
import type { Dialer } from '../../chain/peer.js';
import {
  nseRegistryHandler,
  nsRegistryHandler,
  type NseRegistryElement,
  type NseRegistryHandler,
  type NsRegistryHandler,
} from '../../chain/registry.js';
import { beginNsClient, beginNseClient } from '../../elements/registry-begin/index.js';
import {
  registryClientUrl,
  registryConnectNs,
  registryConnectNse,
  registryDialNs,
  registryDialNse,
} from '../../elements/registry-connect/index.js';
import { healNsClient, healNseClient } from '../../elements/registry-heal/index.js';
import { refreshNseClient } from '../../elements/registry-refresh/index.js';
import { retryNsClient, retryNseClient } from '../../elements/registry-retry/index.js';
import { pathNsClient, pathNseClient } from '../../elements/registry-update-path/index.js';

export interface RegistryClientOptions {
  /** The nsmgr or registry to talk to. */
  readonly url: string;
  readonly dialer: Dialer;
  /** Ends refresh, heal and connections when aborted: the client's lifetime. */
  readonly chainSignal: AbortSignal;
  /** Elements before connect (e.g. sendfd-like additions). */
  readonly additional?: readonly NseRegistryElement[];
  /** Retry failed calls until the caller's context ends. Default: true. */
  readonly retry?: boolean;
}

/** begin → retry → heal → refresh → clientUrl → path → dial → ...additional → connect. */
export function nseRegistryClient(options: RegistryClientOptions): NseRegistryHandler {
  const { chainSignal, dialer } = options;
  return nseRegistryHandler([
    beginNseClient(),
    ...(options.retry === false ? [] : [retryNseClient()]),
    healNseClient({ chainSignal }),
    refreshNseClient({ chainSignal }),
    registryClientUrl(options.url),
    pathNseClient(),
    registryDialNse({ dialer, chainSignal }),
    ...(options.additional ?? []),
    registryConnectNse(),
  ]);
}

/** begin → retry → heal → clientUrl → path → dial → connect (NS registrations do not expire: no refresh). */
export function nsRegistryClient(options: Omit<RegistryClientOptions, 'additional'>): NsRegistryHandler {
  const { chainSignal, dialer } = options;
  return nsRegistryHandler([
    beginNsClient(),
    ...(options.retry === false ? [] : [retryNsClient()]),
    healNsClient({ chainSignal }),
    registryClientUrl(options.url),
    pathNsClient(),
    registryDialNs({ dialer, chainSignal }),
    registryConnectNs(),
  ]);
}
