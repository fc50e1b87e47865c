/**
 * What each pod interface gets from the IPContext, as Go's connectioncontextkernel applies it (with the
 * `ipcontext_helpers.go` rules, wire-api §5.2): the NSC end ("src") gets the src addresses, link routes to the
 * dst addresses and the src routes; the NSE end ("dst") the mirror image.
 * @module
 */
import type { IPContext, Route } from '../../api/gen/connectioncontext.js';
import { Code, StatusError } from '../../chain/errors.js';
import type { LinkConfig, RouteSpec } from '../../kernel/index.js';
import {
  formatCidr,
  formatIp,
  parseCidr,
  parseIp,
  type IpCidr,
  type IpAddress,
} from '../mechanisms/index.js';

/** Which end of the connection a pod interface is: the NSC's (`src`) or the NSE's (`dst`). */
export type Side = 'src' | 'dst';

/** The part of a link's configuration the IPContext decides. */
export type IpConfig = Pick<LinkConfig, 'addresses' | 'linkRoutes' | 'routes'>;

const width = (family: 4 | 6): number => (family === 4 ? 32 : 128);

function contains(net: IpCidr, ip: IpAddress): boolean {
  if (net.ip.family !== ip.family) return false;
  const w = BigInt(width(ip.family));
  const shift = w - BigInt(net.bits);
  return ip.value >> shift === net.network >> shift;
}

/** Go `GetSrcIPNets`/`GetDstIPNets`: the parseable entries, host bits kept. */
function nets(addresses: readonly string[]): IpCidr[] {
  return addresses.map((a) => parseCidr(a)).filter((n): n is IpCidr => n !== undefined);
}

const networkOf = (net: IpCidr): string =>
  formatCidr({ family: net.ip.family, value: net.network }, net.bits);

/** Go `GetSrcIPRoutes`/`GetDstIPRoutes`: each of `own`'s nets whose host is in none of `other`'s. */
function ipRoutes(own: readonly IpCidr[], other: readonly IpCidr[]): string[] {
  return own.filter((net) => !other.some((o) => contains(o, net.ip))).map(networkOf);
}

/**
 * Go `Get{Src,Dst}RoutesWithExplicitNextHop` followed by routeAdd: a route without a parseable next hop goes
 * via the first peer address of its family, unless its prefix's address is inside a peer net or the peer has
 * no address of that family (then it stays a device route).
 */
function explicitRoutes(routes: readonly Route[], peer: readonly IpCidr[]): RouteSpec[] {
  return routes.map((route) => {
    const prefix = parseCidr(route.prefix);
    if (prefix === undefined) {
      throw new StatusError(
        Code.INVALID_ARGUMENT,
        `kernel-dataplane: route prefix ${JSON.stringify(route.prefix)} is not a CIDR`,
        { reason: 'KERNEL_DATAPLANE_BAD_IP_CONTEXT' },
      );
    }
    const nextHop = parseIp(route.nextHop);
    if (nextHop !== undefined) return { prefix: networkOf(prefix), via: formatIp(nextHop) };
    const family = peer.filter((n) => n.ip.family === prefix.ip.family);
    const first = family[0];
    if (first === undefined || family.some((n) => contains(n, prefix.ip))) {
      return { prefix: networkOf(prefix) };
    }
    return { prefix: networkOf(prefix), via: formatIp(first.ip) };
  });
}

/** The addresses and routes for the `side` end. */
export function ipConfig(ipContext: IPContext | undefined, side: Side): IpConfig {
  const src = nets(ipContext?.srcIpAddrs ?? []);
  const dst = nets(ipContext?.dstIpAddrs ?? []);
  const [own, peer] = side === 'src' ? [src, dst] : [dst, src];
  const routes = (side === 'src' ? ipContext?.srcRoutes : ipContext?.dstRoutes) ?? [];
  return {
    addresses: own.map((n) => formatCidr(n.ip, n.bits)),
    linkRoutes: ipRoutes(peer, own),
    routes: explicitRoutes(routes, peer),
  };
}

/** What is in `before` and not in `after` (to remove on a refresh that changed the IPContext). */
export function removedConfig(before: IpConfig, after: IpConfig): IpConfig {
  const routeKey = (r: RouteSpec): string => r.prefix;
  const kept = new Set(after.routes.map(routeKey));
  return {
    addresses: before.addresses.filter((a) => !after.addresses.includes(a)),
    linkRoutes: before.linkRoutes.filter((p) => !after.linkRoutes.includes(p) && !kept.has(p)),
    routes: before.routes.filter((r) => !kept.has(routeKey(r)) && !after.linkRoutes.includes(r.prefix)),
  };
}
