/**
 * The registry preset (Go `registry/chains/memory`): a standalone in-memory registry for both NS and NSE
 * entries, with registration times and expiry.
 */
import { setMaxListeners } from 'node:events';
import {
  nseRegistryHandler,
  nsRegistryHandler,
  type NseRegistryElement,
  type NseRegistryHandler,
  type NsRegistryElement,
  type NsRegistryHandler,
} from '../../chain/registry.js';
import type { TokenGenerator } from '../../chain/token.js';
import {
  authorizeNseRegistry,
  authorizeNsRegistry,
  type RegistryPolicy,
} from '../../elements/registry-authorize/index.js';
import { beginNseServer } from '../../elements/registry-begin/index.js';
import { expireNse } from '../../elements/registry-expire/index.js';
import { memoryNseRegistry, memoryNsRegistry } from '../../elements/registry-memory/index.js';
import { setPayloadNs } from '../../elements/registry-set-payload/index.js';
import { setRegistrationTimeNse } from '../../elements/registry-set-registration-time/index.js';
import { updatePathNseServer, updatePathNsServer } from '../../elements/registry-update-path/index.js';

export interface RegistryOptions {
  /** Issues this registry's tokens for the registry path. */
  readonly tokenGenerator: TokenGenerator;
  /** Ends expiry timers and watch streams when aborted. */
  readonly chainSignal: AbortSignal;
  /** How long an NSE registration lives without a refresh. Default: 60000 (one minute). */
  readonly defaultExpirationMs?: number;
  /** Who may register and unregister names (e.g. `clientAllowedPolicy()`). Default: none. */
  readonly policies?: readonly RegistryPolicy[];
}

export interface Registry {
  readonly nsRegistry: NsRegistryHandler;
  readonly nseRegistry: NseRegistryHandler;
  readonly nsElements: readonly NsRegistryElement[];
  readonly nseElements: readonly NseRegistryElement[];
}

/**
 * NSE: updatePath → authorize → begin → setRegistrationTime → expire → memory. NS: updatePath → authorize →
 * setPayload → memory (nsm-semantics §3.4; the interdomain switch comes with interdomain).
 */
export function registry(options: RegistryOptions): Registry {
  // Elements listen on the chain signal once per live connection or watch: many listeners are expected.
  setMaxListeners(0, options.chainSignal);
  const { tokenGenerator, chainSignal } = options;
  const policies = options.policies ?? [];
  const nseElements: NseRegistryElement[] = [
    updatePathNseServer({ tokenGenerator }),
    authorizeNseRegistry({ policies }),
    beginNseServer(),
    setRegistrationTimeNse(),
    expireNse({ defaultExpirationMs: options.defaultExpirationMs ?? 60_000, chainSignal }),
    memoryNseRegistry(),
  ];
  const nsElements: NsRegistryElement[] = [
    updatePathNsServer({ tokenGenerator }),
    authorizeNsRegistry({ policies }),
    setPayloadNs(),
    memoryNsRegistry(),
  ];
  return {
    nsRegistry: nsRegistryHandler(nsElements),
    nseRegistry: nseRegistryHandler(nseElements),
    nsElements,
    nseElements,
  };
}
