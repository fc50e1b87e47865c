/**
 * CIDR strings as address ranges, and an IPv4 plus an IPv6 {@link IpRangeSet} filled from them.
 * @module
 */
import { familyBits, parseCidr, prefixMask, type IpAddress } from '../mechanisms/ip.js';
import { IpRangeSet } from './ip-pool.js';

/** The address range `[first, last]` of a CIDR string, or undefined when Go would not parse it. */
/** @internal */
export function cidrRange(text: string): { family: 4 | 6; start: bigint; end: bigint } | undefined {
  const cidr = parseCidr(text);
  if (cidr === undefined) return undefined;
  const width = familyBits(cidr.ip.family);
  const hostMask = ((1n << BigInt(width)) - 1n) ^ prefixMask(cidr.bits, width);
  return { family: cidr.ip.family, start: cidr.network, end: cidr.network | hostMask };
}

/** An IPv4 and an IPv6 set filled from CIDR strings; entries Go would not parse are skipped. */
/** @internal */
export class DualStackSet {
  readonly v4 = new IpRangeSet(4);
  readonly v6 = new IpRangeSet(6);

  constructor(cidrs: readonly string[] = []) {
    for (const text of cidrs) this.addCidr(text);
  }

  /** Adds a CIDR; false when it does not parse. */
  addCidr(text: string): boolean {
    const range = cidrRange(text);
    if (range === undefined) return false;
    this.of(range.family).add(range.start, range.end);
    return true;
  }

  of(family: 4 | 6): IpRangeSet {
    return family === 4 ? this.v4 : this.v6;
  }

  has(ip: IpAddress): boolean {
    return this.of(ip.family).has(ip.value);
  }

  /** IPv4 prefixes, then IPv6 ones (Go `PrefixPool.GetPrefixes`). */
  prefixes(): string[] {
    return [...this.v4.prefixes(), ...this.v6.prefixes()];
  }
}
