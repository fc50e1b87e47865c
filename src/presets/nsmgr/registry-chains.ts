/**
 * The nsmgr's two registry chains (nsm-semantics §3.3): what NSEs and forwarders register through, and what the
 * nsmgr's own discovery reads.
 */
import type { Dialer } from '../../chain/peer.js';
import {
  nseRegistryHandler,
  nsRegistryHandler,
  type NseRegistryElement,
  type NseRegistryHandler,
  type NsRegistryElement,
  type NsRegistryHandler,
} from '../../chain/registry.js';
import type { TokenGenerator } from '../../chain/token.js';
import { clientInfoNseRegistry } from '../../elements/client-info/index.js';
import {
  authorizeNseRegistry,
  authorizeNsRegistry,
  type RegistryPolicy,
} from '../../elements/registry-authorize/index.js';
import { beginNsClient, beginNseClient, beginNseServer } from '../../elements/registry-begin/index.js';
import {
  connectNseRegistryServer,
  connectNsRegistryServer,
  registryClientUrl,
  registryConnectNs,
  registryConnectNse,
  registryDialNs,
  registryDialNse,
} from '../../elements/registry-connect/index.js';
import { expireNse } from '../../elements/registry-expire/index.js';
import { localBypassNse } from '../../elements/registry-local-bypass/index.js';
import { memoryNseRegistry, memoryNsRegistry } from '../../elements/registry-memory/index.js';
import { queryCacheNs, queryCacheNse } from '../../elements/registry-query-cache/index.js';
import {
  pathNsClient,
  pathNseClient,
  updatePathNseServer,
  updatePathNsServer,
} from '../../elements/registry-update-path/index.js';

export interface NsmgrRegistryOptions {
  readonly url: string;
  readonly registryUrl: string | undefined;
  readonly tokenGenerator: TokenGenerator;
  readonly dialer: Dialer;
  readonly chainSignal: AbortSignal;
  readonly defaultExpirationMs: number;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly policies: readonly RegistryPolicy[];
  /** Unread lifetime of cached registry answers; false: no cache. */
  readonly queryCacheTimeoutMs: number | false;
}

export interface NsmgrRegistries {
  /** The full NS chain (served, and read by discovery). */
  readonly nsRegistry: NsRegistryHandler;
  /** The full NSE chain (served). */
  readonly nseRegistry: NseRegistryHandler;
  /** Only the remote-or-local part of the NSE chain: what the nsmgr's discovery reads. */
  readonly nseLookup: NseRegistryHandler;
}

function remoteNs(options: NsmgrRegistryOptions, registryUrl: string): NsRegistryElement {
  const { dialer, chainSignal, queryCacheTimeoutMs: expireTimeoutMs } = options;
  const client = nsRegistryHandler([
    ...(expireTimeoutMs === false ? [] : [queryCacheNs({ expireTimeoutMs, chainSignal })]),
    registryClientUrl(registryUrl),
    beginNsClient(),
    pathNsClient(),
    registryDialNs({ dialer, chainSignal }),
    registryConnectNs(),
  ]);
  return connectNsRegistryServer(client);
}

function remoteNse(options: NsmgrRegistryOptions, registryUrl: string): NseRegistryElement {
  const { dialer, chainSignal, queryCacheTimeoutMs: expireTimeoutMs } = options;
  const client = nseRegistryHandler([
    ...(expireTimeoutMs === false ? [] : [queryCacheNse({ expireTimeoutMs, chainSignal })]),
    beginNseClient(),
    registryClientUrl(registryUrl),
    pathNseClient(),
    registryDialNse({ dialer, chainSignal }),
    registryConnectNse(),
  ]);
  return connectNseRegistryServer(client);
}

export function nsmgrRegistries(options: NsmgrRegistryOptions): NsmgrRegistries {
  const { tokenGenerator, registryUrl } = options;
  const nsStore: NsRegistryElement =
    registryUrl === undefined ? memoryNsRegistry() : remoteNs(options, registryUrl);
  const { policies } = options;
  const nsRegistry = nsRegistryHandler([
    updatePathNsServer({ tokenGenerator }),
    authorizeNsRegistry({ policies }),
    nsStore,
  ]);
  const bypass = localBypassNse({ nsmgrUrl: options.url });
  // With a registry, entries go out with this nsmgr's URL; without one, they are stored here, then bypassed.
  const remoteOrLocal: NseRegistryElement[] =
    registryUrl === undefined ? [memoryNseRegistry(), bypass] : [bypass, remoteNse(options, registryUrl)];
  const nseLookup = nseRegistryHandler(remoteOrLocal);
  const nseRegistry = nseRegistryHandler([
    updatePathNseServer({ tokenGenerator }),
    authorizeNseRegistry({ policies }),
    beginNseServer(),
    clientInfoNseRegistry({ env: options.env }),
    expireNse({ defaultExpirationMs: options.defaultExpirationMs, chainSignal: options.chainSignal }),
    ...remoteOrLocal,
  ]);
  return { nsRegistry, nseRegistry, nseLookup };
}
