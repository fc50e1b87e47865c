import { Connection } from '../../api/gen/connection.js';
import type { NetworkServiceEndpoint } from '../../api/gen/registry.js';
import { cloneMessage } from '../../api/clone.js';
import { clientUrlOf, withClientUrl } from '../../chain/client-url.js';
import { Code, StatusError } from '../../chain/errors.js';
import { allFailed, type FailedAttempt } from '../../chain/failover.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';
import { candidatesOf } from '../discover/index.js';

/**
 * Picks among the candidates `discover` found, rotating per network service: a counter per service name,
 * shared by all connections, chooses `counter % candidates` and moves on by one per pick. Each attempt puts
 * the endpoint's URL in the context and its name on the connection; the next candidate is tried when one fails,
 * up to one attempt per candidate. When all fail: UNAVAILABLE `ROUNDROBIN_ALL_FAILED` listing each attempt,
 * or the attempts' own status when they all failed with the same code and reason (e.g. `IPAM_EXHAUSTED`).
 * With a client URL already in the context it passes through; Close too.
 *
 * Where in the chain: right after `discover`, before the client that dials the URL.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/roundrobin
 */
export function roundRobinServer(): NetworkServiceElement {
  const counters = new Map<string, number>();
  const pick = (service: string, nses: readonly NetworkServiceEndpoint[]): NetworkServiceEndpoint => {
    const count = counters.get(service) ?? 0;
    counters.set(service, count + 1);
    return nses[count % nses.length] as NetworkServiceEndpoint;
  };
  return {
    name: 'round-robin',
    async request(request, ctx, next) {
      if (clientUrlOf(ctx) !== undefined) return next.request(request, ctx);
      const candidates = candidatesOf(ctx);
      if (candidates === undefined) {
        throw new StatusError(
          Code.INTERNAL,
          'roundrobin: no candidates in the context; put discover before it',
          {
            reason: 'ROUNDROBIN_NO_CANDIDATES',
          },
        );
      }
      const connection = request.connection ?? Connection.create();
      const failed: FailedAttempt[] = [];
      for (let i = 0; i < candidates.nses.length; i++) {
        const nse = pick(candidates.ns.name, candidates.nses);
        const attempt = cloneMessage({
          ...request,
          connection: { ...connection, networkServiceEndpointName: nse.name },
        });
        try {
          return await next.request(attempt, withClientUrl(ctx, nse.url));
        } catch (error) {
          if (ctx.signal.aborted) throw ctx.signal.reason;
          failed.push({ candidate: nse.name, error });
        }
      }
      throw allFailed('roundrobin', 'all candidates have failed', 'ROUNDROBIN_ALL_FAILED', failed);
    },
  };
}
