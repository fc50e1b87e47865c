/**
 * The address pools of `point2point-ipam` and the pairs (leases) taken from them.
 * @module
 */
import type { IPContext } from '../../api/gen/connectioncontext.js';
import { ConfigError, Code, StatusError } from '../../chain/errors.js';
import { familyBits, formatCidr, parseCidr, type IpAddress } from '../mechanisms/ip.js';
import { cidrRange, type DualStackSet } from './cidr-set.js';
import { IpRangeSet } from './ip-pool.js';

export interface Pool {
  readonly prefix: string;
  readonly free: IpRangeSet;
}

/** One connection's pair: `dst` for the NSE side, `src` for the client side, with their /32 (/128) forms. */
export interface Lease {
  readonly pool: Pool;
  readonly src: IpAddress;
  readonly dst: IpAddress;
  readonly srcCidr: string;
  readonly dstCidr: string;
}

const hostCidr = (ip: IpAddress): string => formatCidr(ip, familyBits(ip.family));

function lease(pool: Pool, src: bigint, dst: bigint): Lease {
  const family = pool.free.family;
  const srcIp = { family, value: src };
  const dstIp = { family, value: dst };
  return { pool, src: srcIp, dst: dstIp, srcCidr: hostCidr(srcIp), dstCidr: hostCidr(dstIp) };
}

export function makePools(prefixes: readonly string[]): Pool[] {
  const list: unknown = prefixes;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigError('point2pointIpamServer: at least one prefix is required');
  }
  return prefixes.map((prefix) => {
    const range = typeof prefix === 'string' ? cidrRange(prefix) : undefined;
    if (range === undefined)
      throw new ConfigError(`point2pointIpamServer: "${String(prefix)}" is not a CIDR`);
    const free = new IpRangeSet(range.family);
    free.add(range.start, range.end);
    return { prefix, free };
  });
}

/** The host addresses of `addrs` (CIDR strings) of `family`, in order; entries that do not parse are skipped. */
function hostsOf(addrs: readonly string[], family: 4 | 6): bigint[] {
  const hosts: bigint[] = [];
  for (const text of addrs) {
    const cidr = parseCidr(text);
    if (cidr?.ip.family === family) hosts.push(cidr.ip.value);
  }
  return hosts;
}

function take(pool: Pool, candidates: readonly bigint[], exclude: IpRangeSet): bigint | undefined {
  const value = candidates.find((v) => pool.free.has(v) && !exclude.has(v));
  if (value !== undefined) pool.free.remove(value, value);
  return value;
}

export function release(lease: Lease): void {
  lease.pool.free.add(lease.src.value, lease.src.value);
  lease.pool.free.add(lease.dst.value, lease.dst.value);
}

/**
 * Addresses a refreshed (or, after a restart, re-sent) connection already carries, taken back when they are
 * still free, inside a pool and not excluded.
 */
export function recover(pools: readonly Pool[], ip: IPContext, exclude: DualStackSet): Lease | undefined {
  if (ip.srcIpAddrs.length === 0 || ip.dstIpAddrs.length === 0) return undefined;
  for (const pool of pools) {
    const family = pool.free.family;
    const src = take(pool, hostsOf(ip.srcIpAddrs, family), exclude.of(family));
    if (src === undefined) continue;
    const dst = take(pool, hostsOf(ip.dstIpAddrs, family), exclude.of(family));
    if (dst !== undefined) return lease(pool, src, dst);
    pool.free.add(src, src);
  }
  return undefined;
}

export function allocate(pools: readonly Pool[], exclude: DualStackSet): Lease {
  for (const pool of pools) {
    const [dst, src] = pool.free.lowest(2, exclude.of(pool.free.family));
    if (dst === undefined || src === undefined) continue;
    pool.free.remove(dst, dst);
    pool.free.remove(src, src);
    return lease(pool, src, dst);
  }
  const prefixes = pools.map((p) => p.prefix).join(', ');
  throw new StatusError(Code.RESOURCE_EXHAUSTED, `point2point-ipam: no free address pair in ${prefixes}`, {
    reason: 'IPAM_EXHAUSTED',
  });
}
