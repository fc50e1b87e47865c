/** Registry `setregistrationtime` (Go `registry/common/setregistrationtime`). */
import { timestampFromMs } from '../../api/timestamp.js';
import type { Timestamp } from '../../api/gen/google/protobuf/timestamp.js';
import { clockOf } from '../../chain/clock.js';
import type { NseRegistryElement } from '../../chain/registry.js';

/** The element, with the number of names it remembers (for leak checks). */
export type SetRegistrationTimeNseElement = NseRegistryElement & { readonly size: number };

/**
 * On the first Register of a name, keeps the NSE's `initialRegistrationTime`, or sets it to now (on
 * `clockOf(ctx)`) when absent; on later Registers, sends the remembered time whatever the caller sent. The name
 * is forgotten on Unregister and when the first Register fails.
 *
 * Where in the chain: in a registry's NSE chain after `begin`, before `expire` and the `memory` store.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/setregistrationtime
 */
export function setRegistrationTimeNse(): SetRegistrationTimeNseElement {
  const firstSeen = new Map<string, Timestamp>();
  return {
    name: 'registry-set-registration-time',
    get size() {
      return firstSeen.size;
    },
    async register(nse, ctx, next) {
      const known = firstSeen.get(nse.name);
      const initialRegistrationTime =
        known ?? nse.initialRegistrationTime ?? timestampFromMs(clockOf(ctx).now());
      if (known === undefined) firstSeen.set(nse.name, { ...initialRegistrationTime });
      try {
        return await next.register({ ...nse, initialRegistrationTime: { ...initialRegistrationTime } }, ctx);
      } catch (error) {
        if (known === undefined) firstSeen.delete(nse.name);
        throw error;
      }
    },
    async unregister(nse, ctx, next) {
      firstSeen.delete(nse.name);
      return next.unregister(nse, ctx);
    },
  };
}
