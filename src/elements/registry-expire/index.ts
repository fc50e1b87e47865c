/**
 * Registry `expire`: NSE registrations end unless refreshed in time (NSM `registry/common/expire`).
 * @module
 */
import { ConfigError } from '../../chain/errors.js';
import type { NseRegistryElement } from '../../chain/registry.js';
import { expire } from './expire.js';

export interface ExpireNseOptions {
  /**
   * The longest a registration may live without a refresh, in ms; 0 sets no default limit (token expiries still
   * apply). Default: 60000 (one minute, as the NSM registry and nsmgr use).
   */
  readonly defaultExpirationMs?: number;
  /** When it aborts, every pending expiry is dropped. Default: none. */
  readonly chainSignal?: AbortSignal;
}

/**
 * On Register, lowers the NSE's `expirationTime` to the earliest of this hop's token expiry (from
 * `updatePathNseServer`), the caller's token expiry (`nsm-client-token-expires`) and now + the default; after
 * next, takes the response's expiry when it is earlier still. It then schedules an Unregister through the
 * registry `begin` event factory at that time minus the time the Register call had left, replacing the
 * previous schedule of the name; Unregister cancels it. So an NSE that stops refreshing is removed, and
 * watchers see `deleted: true`.
 *
 * Where in the chain: in a registry's NSE chain after `begin` (required: without it Register fails with
 * REGISTRY_EXPIRE_NO_BEGIN), before the `memory` store or `connect`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/expire
 */
export function expireNse(options: ExpireNseOptions = {}): NseRegistryElement & { readonly size: number } {
  const { defaultExpirationMs = 60_000, chainSignal } = options;
  if (!Number.isFinite(defaultExpirationMs) || defaultExpirationMs < 0)
    throw new ConfigError('registry-expire: defaultExpirationMs must be a finite number ≥ 0');
  return expire({ defaultExpirationMs, chainSignal });
}
