import type { Connection } from '../../api/gen/connection.js';
import { postpone } from '../../chain/cancel.js';
import type { CallContext } from '../../chain/context.js';
import { Code, StatusError } from '../../chain/errors.js';
import type { NetworkServiceElement, NetworkServiceHandler } from '../../chain/network-service.js';
import { conflict, plan, recorded, withExcluded, type Group, type Holders } from './client-prefixes.js';
import { configuredKey, requestKey } from './ns-url.js';

/** Options of `excludedPrefixesClient`. */
export interface ExcludedPrefixesClientOptions {
  /**
   * Groups of network services whose connections may share addresses (NSM awareness groups), each a list of
   * NS URLs `mechanism-type://ns-name[/ifname][?label=value&...]`, e.g. `kernel://my-ns/nsm-1?app=a`. A request
   * belongs to a group when its mechanism type (the chosen one, else the first preference), network service,
   * interface name and labels match one of the URLs. Default: no groups.
   */
  readonly awarenessGroups?: readonly (readonly string[])[];
}

/** Closes the conflicting connection downstream with a fresh context, then fails. */
async function reject(
  response: Connection,
  clash: string,
  fresh: () => { ctx: CallContext; cancel: () => void },
  next: NetworkServiceHandler,
): Promise<never> {
  const scope = fresh();
  let closeError: unknown;
  try {
    await next.close(response, scope.ctx);
  } catch (error) {
    closeError = error;
  } finally {
    scope.cancel();
  }
  const closed = closeError === undefined ? 'connection closed' : 'closing the connection failed too';
  throw new StatusError(
    Code.FAILED_PRECONDITION,
    `excluded-prefixes: the response assigns ${clash}, which is excluded (${closed})`,
    { reason: 'EXCLUDEDPREFIXES_CONFLICT', cause: closeError },
  );
}

/**
 * Client side of excluded prefixes: keeps the addresses its connections got and excludes them from its other
 * requests, so two services never hand one client overlapping addresses. Before a Request it adds to
 * `ip_context.excluded_prefixes` what its other connections hold (the global list plus the prefixes of every
 * awareness group the request is not in), minus the request's own src/dst addresses (a refresh keeps them).
 * After a successful Request it checks that no returned src/dst address falls in a /32 (/128) prefix it sent;
 * if one does it closes the connection downstream and fails with FAILED_PRECONDITION, reason
 * `EXCLUDEDPREFIXES_CONFLICT`. Otherwise it records the returned src/dst addresses and host routes (and, outside
 * awareness groups, the returned excluded prefixes) for this connection, replacing what it held before. The
 * caller's request is never changed. Close drops what the connection holds; a prefix stays excluded while any
 * connection holds it.
 *
 * Where in the chain: NSC client chains, before `connect`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/excludedprefixes
 */
export function excludedPrefixesClient(
  options: ExcludedPrefixesClientOptions = {},
): NetworkServiceElement & { readonly excluded: readonly string[] } {
  const groups: Group[] = (options.awarenessGroups ?? []).map((urls) => ({
    keys: new Set(urls.map(configuredKey)),
    holders: new Map(),
  }));
  const global: Holders = new Map();
  const owners = new Map<string, { holders: Holders; prefixes: readonly string[] }>();

  const forget = (id: string): void => {
    const owner = owners.get(id);
    if (owner === undefined) return;
    for (const prefix of owner.prefixes) {
      const ids = owner.holders.get(prefix);
      ids?.delete(id);
      if (ids?.size === 0) owner.holders.delete(prefix);
    }
    owners.delete(id);
  };
  const hold = (id: string, holders: Holders, prefixes: readonly string[]): void => {
    forget(id);
    for (const prefix of prefixes) {
      const ids = holders.get(prefix);
      if (ids === undefined) holders.set(prefix, new Set([id]));
      else ids.add(id);
    }
    owners.set(id, { holders, prefixes });
  };

  return {
    name: 'excluded-prefixes',
    /** The prefixes currently excluded outside awareness groups (for inspection). */
    get excluded() {
      return [...global.keys()];
    },
    async request(request, ctx, next) {
      const id = request.connection?.id ?? '';
      const key = requestKey(request);
      const group = groups.find((g) => g.keys.has(key));
      const { sent, foreign } = plan(request, [
        global,
        ...groups.filter((g) => g !== group).map((g) => g.holders),
      ]);
      const cleanup = postpone(ctx);
      const response = await next.request(sent === undefined ? request : withExcluded(request, sent), ctx);
      const ip = response.context?.ipContext;
      const clash = sent && conflict(ip, sent);
      if (clash !== undefined) {
        forget(id);
        return reject(response, clash, cleanup, next);
      }
      hold(id, group?.holders ?? global, recorded(ip, group !== undefined, foreign));
      return response;
    },
    async close(connection, ctx, next) {
      forget(connection.id);
      return next.close(connection, ctx);
    },
  };
}
