/**
 * The forwarder preset: an endpoint that finds the next hop through its nsmgr's registry, wires the data plane,
 * and connects onwards (nsm-semantics §3.5). The data plane is pluggable: the sandbox records, the kernel
 * forwarder creates interfaces.
 */
import { networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import type { Dialer } from '../../chain/peer.js';
import {
  nseRegistryHandler,
  nsRegistryHandler,
  type NseRegistryHandler,
  type NsRegistryHandler,
} from '../../chain/registry.js';
import type { TokenGenerator } from '../../chain/token.js';
import type { AuthorizePolicy } from '../../elements/authorize/index.js';
import { connectServer } from '../../elements/connect/index.js';
import { discoverServer } from '../../elements/discover/index.js';
import { connectNseRegistryServer, connectNsRegistryServer } from '../../elements/registry-connect/index.js';
import { queryCacheNs, queryCacheNse } from '../../elements/registry-query-cache/index.js';
import { mechanismTranslationClient } from '../../elements/mechanism-translation/index.js';
import { roundRobinServer } from '../../elements/round-robin/index.js';
import { clientElements } from '../client/index.js';
import { endpoint, type Endpoint } from '../endpoint/index.js';

export interface ForwarderOptions {
  readonly name: string;
  readonly tokenGenerator: TokenGenerator;
  readonly dialer: Dialer;
  readonly chainSignal: AbortSignal;
  /** The NS and NSE registries, as seen through this node's nsmgr. */
  readonly nsRegistry: NsRegistryHandler;
  readonly nseRegistry: NseRegistryHandler;
  /** Server elements that wire the data plane (after discovery, before connect). */
  readonly dataPlane?: readonly NetworkServiceElement[];
  /** Client elements of the onward connection (after mechanism translation). */
  readonly clientElements?: readonly NetworkServiceElement[];
  readonly authorizePolicies?: readonly AuthorizePolicy[];
  readonly dialTimeoutMs?: number;
  /**
   * How long a cached lookup lives unread, in ms: discovery's lookups through the nsmgr go through a
   * watch-maintained `querycache` (Go's forwarders cache lookups by name; this caches services and endpoints
   * of a service too). Default 60000; `false` looks every Request up.
   */
  readonly queryCacheTimeoutMs?: number | false;
}

export interface Forwarder extends Endpoint {
  /** The elements of the client it connects onwards with, in order (for inspection). */
  readonly clientElements: readonly NetworkServiceElement[];
}

/** endpoint(name) → discover (lookups through querycache) → roundRobin → ...dataPlane → connect(client: mechanismTranslation → ...). */
export function forwarder(options: ForwarderOptions): Forwarder {
  const { name, dialer, chainSignal, queryCacheTimeoutMs = 60_000 } = options;
  const cache =
    queryCacheTimeoutMs === false ? undefined : { expireTimeoutMs: queryCacheTimeoutMs, chainSignal };
  const nsRegistry =
    cache === undefined
      ? options.nsRegistry
      : nsRegistryHandler([queryCacheNs(cache), connectNsRegistryServer(options.nsRegistry)]);
  const nseRegistry =
    cache === undefined
      ? options.nseRegistry
      : nseRegistryHandler([queryCacheNse(cache), connectNseRegistryServer(options.nseRegistry)]);
  const onwardElements = clientElements({
    name,
    dialer,
    chainSignal,
    refresh: false,
    additional: [mechanismTranslationClient(), ...(options.clientElements ?? [])],
    ...(options.dialTimeoutMs === undefined ? {} : { dialTimeoutMs: options.dialTimeoutMs }),
  });
  const onward = networkServiceHandler(onwardElements);
  const server = endpoint({
    name,
    tokenGenerator: options.tokenGenerator,
    chainSignal,
    authorizePolicies: options.authorizePolicies ?? [],
    additional: [
      discoverServer({ nsRegistry, nseRegistry }),
      roundRobinServer(),
      ...(options.dataPlane ?? []),
      connectServer(onward),
    ],
  });
  return { ...server, clientElements: onwardElements };
}
