/**
 * Link configuration: alias, MTU and up in one `link set`, then addresses (`addr replace`, IPv6 `nodad`), link
 * routes (`scope link`) and routes (`onlink` with a next hop), all idempotent; and removal of addresses and
 * routes a refresh no longer wants.
 * @module
 */
import { isIP } from 'node:net';
import { bad, checkCidr, checkIfName, checkIp, mtuArgs } from './args.js';
import { isNotFound } from './errors.js';
import type { IpRunner } from './ip-channel.js';
import { LIST_LINKS, parseLinks, type LinkInfo } from './links.js';

/** A route with a next hop, or a device route when `via` is absent. */
export interface RouteSpec {
  /** Destination prefix in network form (host bits clear), e.g. `10.0.0.0/24`. */
  readonly prefix: string;
  readonly via?: string;
}

/** What `configureLink` applies. Every list may be empty. */
export interface LinkConfig {
  readonly alias?: string;
  readonly mtu?: number;
  /** Addresses with their prefix length, host bits kept (`10.0.0.1/24`). IPv6 ones are added `nodad`. */
  readonly addresses: readonly string[];
  /** Link-scope routes (`scope link`), e.g. to the peer's /32. */
  readonly linkRoutes: readonly string[];
  /** Universe-scope routes; those with a next hop are `onlink`. */
  readonly routes: readonly RouteSpec[];
}

/**
 * The commands `configureLink` sends, in order: a dump, one `link set` (alias, MTU, up), another dump (a
 * successful `link set` drops the link's cache entry, which could expose a stale one), addresses, link routes,
 * routes.
 */
export function configureCommands(name: string, config: LinkConfig): string[][] {
  const dev = ['dev', checkIfName(name)];
  if (config.alias !== undefined && (config.alias.length > 255 || config.alias === '')) {
    throw bad('alias', config.alias);
  }
  const alias = config.alias === undefined ? [] : ['alias', config.alias];
  const commands: string[][] = [
    [...LIST_LINKS],
    ['link', 'set', ...dev, ...alias, ...mtuArgs(config.mtu), 'up'],
  ];
  commands.push([...LIST_LINKS]);
  for (const address of config.addresses) {
    const v6 = isIP(checkCidr(address).split('/')[0] ?? '') === 6;
    commands.push(['addr', 'replace', address, ...dev, ...(v6 ? ['nodad'] : [])]);
  }
  for (const prefix of config.linkRoutes) {
    commands.push(['route', 'replace', checkCidr(prefix), ...dev, 'scope', 'link']);
  }
  for (const route of config.routes) {
    const prefix = checkCidr(route.prefix);
    commands.push(
      route.via === undefined
        ? ['route', 'replace', prefix, ...dev, 'scope', 'global']
        : ['route', 'replace', prefix, 'via', checkIp(route.via), ...dev, 'onlink'],
    );
  }
  return commands;
}

/**
 * Applies `config` to the link (pipelined in one write, see `configureCommands`); rejects with the first
 * failure. Resolves with the link as the dump saw it (its ifindex), or undefined when it was not there.
 */
export async function configureLink(
  channel: IpRunner,
  name: string,
  config: LinkConfig,
): Promise<LinkInfo | undefined> {
  const [dump = ''] = await channel.runAll(configureCommands(name, config));
  return parseLinks(dump).find((link) => link.name === name);
}

/** Removes addresses and routes from the link; ones already gone are fine. */
export async function unconfigureLink(
  channel: IpRunner,
  name: string,
  config: Pick<LinkConfig, 'addresses' | 'linkRoutes' | 'routes'>,
): Promise<void> {
  const dev = ['dev', checkIfName(name)];
  const commands = [
    ...[...config.linkRoutes, ...config.routes.map((r) => r.prefix)].map((p) => [
      'route',
      'del',
      checkCidr(p),
      ...dev,
    ]),
    ...config.addresses.map((a) => ['addr', 'del', checkCidr(a), ...dev]),
  ];
  const results = await Promise.allSettled([LIST_LINKS, ...commands].map((command) => channel.run(command)));
  const failure = results.find(
    (r): r is PromiseRejectedResult => r.status === 'rejected' && !isNotFound(r.reason),
  );
  if (failure !== undefined) throw failure.reason;
}
