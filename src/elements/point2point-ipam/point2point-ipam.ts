import { Connection } from '../../api/gen/connection.js';
import { ConnectionContext, IPContext, type Route } from '../../api/gen/connectioncontext.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';
import { DualStackSet } from './cidr-set.js';
import { allocate, makePools, recover, release, type Lease } from './pools.js';

/** Options of `point2pointIpamServer`. */
export interface Point2PointIpamOptions {
  /** CIDRs to allocate from, IPv4 or IPv6, tried in order, e.g. `['10.0.0.0/24']`. Required, non-empty. */
  readonly prefixes: readonly string[];
}

const addAddr = (list: string[], addr: string): void => {
  if (!list.includes(addr)) list.push(addr);
};
const deleteAddr = (list: string[], addr: string): void => {
  const i = list.indexOf(addr);
  if (i >= 0) list.splice(i, 1);
};
const addRoute = (routes: Route[], prefix: string): void => {
  if (!routes.some((r) => r.prefix === prefix)) routes.push({ prefix, nextHop: '' });
};
const deleteRoute = (routes: Route[], prefix: string): void => {
  const i = routes.findIndex((r) => r.prefix === prefix);
  if (i >= 0) routes.splice(i, 1);
};

/** A copy of the IP context whose four lists this element may change. */
function ownIpContext(connection: Connection): IPContext {
  const ip = connection.context?.ipContext ?? IPContext.create();
  return {
    ...ip,
    srcIpAddrs: [...ip.srcIpAddrs],
    dstIpAddrs: [...ip.dstIpAddrs],
    srcRoutes: [...ip.srcRoutes],
    dstRoutes: [...ip.dstRoutes],
  };
}

function forget(ip: IPContext, { srcCidr, dstCidr }: Lease): void {
  deleteAddr(ip.srcIpAddrs, srcCidr);
  deleteAddr(ip.dstIpAddrs, dstCidr);
  deleteRoute(ip.srcRoutes, dstCidr);
  deleteRoute(ip.dstRoutes, srcCidr);
}

function apply(ip: IPContext, { srcCidr, dstCidr }: Lease): void {
  addAddr(ip.srcIpAddrs, srcCidr);
  addRoute(ip.srcRoutes, dstCidr);
  addAddr(ip.dstIpAddrs, dstCidr);
  addRoute(ip.dstRoutes, srcCidr);
}

/**
 * Point-to-point IPAM: gives each connection an address pair from the first prefix that has one, the first
 * free address for the NSE side (`dst`) and the next for the client (`src`), as /32 (/128) addresses with a
 * /32 (/128) route to the other side; a fresh `192.168.0.0/16` gives dst `192.168.0.0/32`, src
 * `192.168.0.1/32`, then `.2`/`.3`. Freed addresses are reused first (lowest free first).
 *
 * `ip_context.excluded_prefixes` are never handed out: a known connection whose addresses became excluded
 * loses them and gets new ones. A connection this element does not know (a restart, a heal to a new
 * instance) first gets back the addresses its IP context already carries, when they are free and in a pool.
 * Additions are idempotent, so a refresh changes nothing. A new allocation is freed when the rest of the chain
 * fails; Close frees the pair. No pair left: RESOURCE_EXHAUSTED, reason `IPAM_EXHAUSTED`.
 *
 * Where in the chain: endpoints, after `metadata` and before the mechanism elements. Chain one per prefix
 * family to give dual-stack pairs.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/ipam/point2pointipam
 */
export function point2pointIpamServer(
  options: Point2PointIpamOptions,
): NetworkServiceElement & { readonly leases: number } {
  const pools = makePools(options.prefixes);
  const leases = new Map<string, Lease>();
  return {
    name: 'point2point-ipam',
    /** Connections holding a pair (for leak checks). */
    get leases() {
      return leases.size;
    },
    async request(request, ctx, next) {
      const connection = request.connection ?? Connection.create();
      const id = connection.id;
      const ip = ownIpContext(connection);
      const exclude = new DualStackSet(ip.excludedPrefixes);
      let lease = leases.get(id);
      if (lease !== undefined && (exclude.has(lease.src) || exclude.has(lease.dst))) {
        forget(ip, lease);
        release(lease);
        leases.delete(id);
        lease = undefined;
      }
      const fresh = lease === undefined;
      lease ??= recover(pools, ip, exclude) ?? allocate(pools, exclude);
      leases.set(id, lease);
      apply(ip, lease);
      const context = { ...(connection.context ?? ConnectionContext.create()), ipContext: ip };
      try {
        return await next.request({ ...request, connection: { ...connection, context } }, ctx);
      } catch (error) {
        if (fresh && leases.get(id) === lease) {
          release(lease);
          leases.delete(id);
        }
        throw error;
      }
    },
    close(connection, ctx, next) {
      const lease = leases.get(connection.id);
      if (lease !== undefined) {
        release(lease);
        leases.delete(connection.id);
      }
      return next.close(connection, ctx);
    },
  };
}
