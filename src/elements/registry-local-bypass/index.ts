/**
 * Registry `localbypass`: NSEs registered through an NSMgr are stored with the NSMgr's URL, and found through it
 * with their own (NSM `registry/common/localbypass`).
 * @module
 */
import { ConfigError } from '../../chain/errors.js';
import type { NseRegistryElement } from '../../chain/registry.js';
import { localBypass } from './local-bypass.js';

export interface LocalBypassNseOptions {
  /** This NSMgr's public URL, as other nodes dial it. Required. */
  readonly nsmgrUrl: string;
}

/**
 * Register remembers the NSE's real URL (an empty or unparsable URL fails with INVALID_ARGUMENT,
 * LOCALBYPASS_INVALID_URL), sends the registration with the NSMgr's URL instead, and answers with the real URL
 * again; a failed first registration forgets the URL. Find gives names it knows their real URL and drops
 * entries that point at this NSMgr but are unknown here (stale), unless they announce a deletion. Unregister
 * only goes on for a known name, with the NSMgr's URL, and forgets the name once next succeeds.
 *
 * Where in the chain: in the NSMgr's NSE registry chain, in front of `connect` to the cluster registry (or
 * after the `memory` store when the NSMgr has no registry).
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/localbypass
 */
export function localBypassNse(
  options: LocalBypassNseOptions,
): NseRegistryElement & { readonly size: number } {
  const nsmgrUrl = options?.nsmgrUrl;
  if (typeof nsmgrUrl !== 'string' || nsmgrUrl === '')
    throw new ConfigError('registry-local-bypass: nsmgrUrl is required');
  return localBypass(nsmgrUrl);
}
