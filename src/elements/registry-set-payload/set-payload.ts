/** Registry `setpayload` (Go `registry/common/setpayload`). */
import { ConfigError } from '../../chain/errors.js';
import type { NsRegistryElement } from '../../chain/registry.js';

export interface SetPayloadNsOptions {
  /** The payload given to a network service registered with an empty one. Default: `'IP'`. */
  readonly payload?: string;
}

/**
 * Sets `payload` on a network service whose payload is empty, then calls next. Find and Unregister pass
 * through.
 *
 * Where in the chain: in a registry's NS chain, before the `memory` store.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/setpayload
 */
export function setPayloadNs(options: SetPayloadNsOptions = {}): NsRegistryElement {
  const { payload = 'IP' } = options;
  if (payload === '') throw new ConfigError('registry-set-payload: the default payload must not be empty');
  return {
    name: 'registry-set-payload',
    register(ns, ctx, next) {
      return next.register(ns.payload === '' ? { ...ns, payload } : ns, ctx);
    },
  };
}
