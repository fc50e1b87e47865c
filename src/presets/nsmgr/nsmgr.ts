/**
 * The nsmgr preset (Go `chains/nsmgr`): one per node. It serves NetworkService and MonitorConnection for the
 * node's clients, picks a local forwarder for each connection, and fronts the registry for the node's
 * endpoints and forwarders.
 */
import { networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import type { Dialer } from '../../chain/peer.js';
import type { TokenGenerator } from '../../chain/token.js';
import type { AuthorizePolicy } from '../../elements/authorize/index.js';
import type { RegistryPolicy } from '../../elements/registry-authorize/index.js';
import { clientInfo } from '../../elements/client-info/index.js';
import { connectServer } from '../../elements/connect/index.js';
import { discoverForwarderServer } from '../../elements/discover-forwarder/index.js';
import { excludedPrefixesServer } from '../../elements/excluded-prefixes/index.js';
import { netSvcMonitorServer } from '../../elements/net-svc-monitor/index.js';
import { clientElements } from '../client/index.js';
import { endpoint, type Endpoint } from '../endpoint/index.js';
import { nsmgrRegistries } from './registry-chains.js';
import type { NseRegistryHandler, NsRegistryHandler } from '../../chain/registry.js';

export interface NsmgrOptions {
  readonly name: string;
  /** This nsmgr's URL as others dial it (used by local bypass and to select local forwarders). */
  readonly url: string;
  /** The domain's registry; without one the nsmgr keeps an in-memory registry. */
  readonly registryUrl?: string;
  readonly tokenGenerator: TokenGenerator;
  /** Dials forwarders, endpoints, other nsmgrs and the registry. */
  readonly dialer: Dialer;
  readonly chainSignal: AbortSignal;
  /** Default NSE registration lifetime. Default: 60000. */
  readonly defaultExpirationMs?: number;
  readonly forwarderServiceName?: string;
  readonly dialTimeoutMs?: number;
  readonly authorizePolicies?: readonly AuthorizePolicy[];
  /** Who may register and unregister names through this nsmgr. Default: none. */
  readonly registryPolicies?: readonly RegistryPolicy[];
  /** Prefixes no endpoint may hand out (cluster pod and service CIDRs). */
  readonly excludedPrefixes?: readonly string[];
  /** Where NODE_NAME and friends come from. Default: process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * How long an answer of the registry stays cached unread, in ms: repeated lookups (forwarders, services,
   * endpoints of a service) are answered from a watch-maintained `querycache`. Default 60000; `false` asks
   * the registry every time, as Go's nsmgr does.
   */
  readonly queryCacheTimeoutMs?: number | false;
}

export interface Nsmgr extends Endpoint {
  readonly nsRegistry: NsRegistryHandler;
  readonly nseRegistry: NseRegistryHandler;
  /** The elements of the client it connects onwards with, in order (for inspection). */
  readonly clientElements: readonly NetworkServiceElement[];
}

/**
 * NetworkService: endpoint(name) → clientInfo → discoverForwarder → netSvcMonitor → excludedPrefixes →
 * connect(client without refresh). Registries: see `nsmgrRegistries`.
 */
export function nsmgr(options: NsmgrOptions): Nsmgr {
  const { name, dialer, chainSignal } = options;
  const env = options.env ?? process.env;
  const registries = nsmgrRegistries({
    url: options.url,
    registryUrl: options.registryUrl,
    tokenGenerator: options.tokenGenerator,
    dialer,
    chainSignal,
    defaultExpirationMs: options.defaultExpirationMs ?? 60_000,
    env,
    policies: options.registryPolicies ?? [],
    queryCacheTimeoutMs: options.queryCacheTimeoutMs ?? 60_000,
  });
  const innerElements = clientElements({
    name,
    dialer,
    chainSignal,
    refresh: false,
    ...(options.dialTimeoutMs === undefined ? {} : { dialTimeoutMs: options.dialTimeoutMs }),
  });
  const inner = networkServiceHandler(innerElements);
  const server = endpoint({
    name,
    tokenGenerator: options.tokenGenerator,
    chainSignal,
    authorizePolicies: options.authorizePolicies ?? [],
    additional: [
      clientInfo({ env }),
      discoverForwarderServer({
        nsRegistry: registries.nsRegistry,
        nseRegistry: registries.nseLookup,
        forwarderServiceName: options.forwarderServiceName ?? 'forwarder',
        // Without a registry the memory store keeps the forwarders' own URLs, and holds only this nsmgr's
        // registrations: no URL filter (Go's sandbox runs such an nsmgr without a URL).
        nsmgrUrl: options.registryUrl === undefined ? '' : options.url,
      }),
      netSvcMonitorServer({
        nsRegistry: registries.nsRegistry,
        nseRegistry: registries.nseLookup,
        chainSignal,
      }),
      excludedPrefixesServer({ prefixes: options.excludedPrefixes ?? [], chainSignal }),
      connectServer(inner),
    ],
  });
  return {
    ...server,
    nsRegistry: registries.nsRegistry,
    nseRegistry: registries.nseRegistry,
    clientElements: innerElements,
  };
}
