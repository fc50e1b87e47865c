/**
 * What `excludedPrefixesClient` sends, checks and records for one Request.
 * @module
 */
import { Connection } from '../../api/gen/connection.js';
import { ConnectionContext, IPContext, type Route } from '../../api/gen/connectioncontext.js';
import type { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { familyBits, formatIp, parseCidr } from '../mechanisms/ip.js';
import { dedupe } from './server.js';

/** Host (/32, /128) route prefixes; others (subnets) are not the connection's own addresses. */
function hostRoutes(routes: readonly Route[]): string[] {
  return routes
    .filter((r) => {
      const cidr = parseCidr(r.prefix);
      return cidr !== undefined && cidr.bits === familyBits(cidr.ip.family);
    })
    .map((r) => r.prefix);
}

/** The first src/dst address of `ip` inside a /32 (/128) prefix of `excluded`. */
export function conflict(ip: IPContext | undefined, excluded: readonly string[]): string | undefined {
  const hosts = new Set<string>();
  for (const prefix of excluded) {
    const cidr = parseCidr(prefix);
    if (cidr === undefined || cidr.bits !== familyBits(cidr.ip.family)) continue;
    hosts.add(formatIp({ family: cidr.ip.family, value: cidr.network }));
  }
  return [...(ip?.srcIpAddrs ?? []), ...(ip?.dstIpAddrs ?? [])].find((addr) => {
    const cidr = parseCidr(addr);
    return cidr !== undefined && hosts.has(formatIp(cidr.ip));
  });
}

export function withExcluded(
  request: NetworkServiceRequest,
  excludedPrefixes: string[],
): NetworkServiceRequest {
  const connection = request.connection ?? Connection.create();
  const context = connection.context ?? ConnectionContext.create();
  const ipContext = { ...(context.ipContext ?? IPContext.create()), excludedPrefixes };
  return { ...request, connection: { ...connection, context: { ...context, ipContext } } };
}

/** prefix → ids of the connections that hold it; insertion order is the order prefixes are sent in. */
export type Holders = Map<string, Set<string>>;

export interface Group {
  readonly keys: ReadonlySet<string>;
  readonly holders: Holders;
}

/** What one Request adds: the list it sends (undefined: unchanged) and the prefixes other connections hold. */
export interface Plan {
  readonly sent: string[] | undefined;
  readonly foreign: ReadonlySet<string>;
}

export function plan(request: NetworkServiceRequest, held: readonly Holders[]): Plan {
  const id = request.connection?.id ?? '';
  const added = held.flatMap((holders) => [...holders.keys()]);
  const foreign = new Set(
    held.flatMap((h) => [...h].filter(([, ids]) => !ids.has(id) || ids.size > 1).map(([p]) => p)),
  );
  if (added.length === 0) return { sent: undefined, foreign };
  const ip = request.connection?.context?.ipContext;
  const own = new Set([...(ip?.srcIpAddrs ?? []), ...(ip?.dstIpAddrs ?? [])]);
  return { sent: dedupe([...(ip?.excludedPrefixes ?? []), ...added]).filter((p) => !own.has(p)), foreign };
}

/** The prefixes a successful response makes this connection's own. */
export function recorded(
  ip: IPContext | undefined,
  inGroup: boolean,
  foreign: ReadonlySet<string>,
): string[] {
  return dedupe([
    ...(ip?.srcIpAddrs ?? []),
    ...(ip?.dstIpAddrs ?? []),
    ...hostRoutes(ip?.srcRoutes ?? []),
    ...hostRoutes(ip?.dstRoutes ?? []),
    ...(inGroup ? [] : (ip?.excludedPrefixes ?? []).filter((p) => !foreign.has(p))),
  ]);
}
