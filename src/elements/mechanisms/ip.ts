/**
 * IP addresses and CIDRs read and written the way Go's `net` package does, so strings this SDK puts on the
 * wire (mechanism parameters, IP context) are byte-for-byte what a Go peer would produce and accept.
 * @module
 */
import { isIP } from 'node:net';

/** An address as a number: 32 bits for IPv4, 128 bits for IPv6. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
}

/** A parsed CIDR: the host address as written, the network (host bits cleared) and the prefix length. */
export interface IpCidr {
  readonly ip: IpAddress;
  readonly network: bigint;
  readonly bits: number;
}

const MAPPED_PREFIX = 0xffffn << 32n;
const V4_MAX = 0xffffffffn;

/** Width in bits of an address family. */
export function familyBits(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

function parseV4(text: string): bigint {
  let value = 0n;
  for (const octet of text.split('.')) value = (value << 8n) | BigInt(Number(octet));
  return value;
}

function parseGroups(part: string): bigint[] {
  if (part === '') return [];
  const groups: bigint[] = [];
  for (const group of part.split(':')) {
    if (group.includes('.')) {
      const v4 = parseV4(group);
      groups.push(v4 >> 16n, v4 & 0xffffn);
    } else {
      groups.push(BigInt(parseInt(group, 16)));
    }
  }
  return groups;
}

function parseV6(text: string): bigint {
  const [head = '', tail] = text.split('::');
  const left = parseGroups(head);
  const right = tail === undefined ? [] : parseGroups(tail);
  const zeros = new Array<bigint>(8 - left.length - right.length).fill(0n);
  let value = 0n;
  for (const group of [...left, ...zeros, ...right]) value = (value << 16n) | group;
  return value;
}

/**
 * Go `netip.ParseAddr` without unmapping: undefined for anything Go rejects (IPv4 octets with leading zeros,
 * zones, brackets, prefixes).
 */
function parseRaw(text: string): IpAddress | undefined {
  const kind = isIP(text);
  if (kind === 4) return { family: 4, value: parseV4(text) };
  if (kind === 6 && !text.includes('%')) return { family: 6, value: parseV6(text) };
  return undefined;
}

/**
 * Go `net.ParseIP`: an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is the same address as `a.b.c.d`, so it
 * comes back as IPv4. Invalid input gives undefined (Go's nil).
 */
export function parseIp(text: string): IpAddress | undefined {
  const ip = parseRaw(text);
  if (ip?.family === 6 && ip.value >> 32n === 0xffffn) return { family: 4, value: ip.value & V4_MAX };
  return ip;
}

function formatV4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

function formatV6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => (value >> BigInt(112 - 16 * i)) & 0xffffn);
  // RFC 5952 as Go applies it: the first longest run of at least two zero groups becomes "::".
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0n) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = (list: bigint[]): string => list.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** Go `net.IP.String()`: dotted IPv4, RFC 5952 IPv6, and IPv4-mapped IPv6 printed as plain IPv4. */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return formatV4(ip.value);
  if (ip.value >> 32n === 0xffffn) return formatV4(ip.value & V4_MAX);
  return formatV6(ip.value);
}

/** The canonical Go form of an IP string, or undefined when Go would not parse it. */
export function canonicalIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip === undefined ? undefined : formatIp(ip);
}

/**
 * Go's 16-byte comparison of two addresses (IPv4 as `::ffff:a.b.c.d`): negative, zero or positive.
 */
export function compareIp16(a: IpAddress, b: IpAddress): number {
  const wide = (ip: IpAddress): bigint => (ip.family === 4 ? MAPPED_PREFIX | ip.value : ip.value);
  const x = wide(a);
  const y = wide(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The mask of a `bits`-long prefix in a `width`-bit family. */
export function prefixMask(bits: number, width: number): bigint {
  const all = (1n << BigInt(width)) - 1n;
  return (all << BigInt(width - bits)) & all;
}

/**
 * Go `net.ParseCIDR`: `addr/len` with a decimal length (leading zeros accepted) up to the family width.
 * Host bits may be set; `ip` keeps them and `network` clears them. Undefined for anything Go rejects.
 */
export function parseCidr(text: string): IpCidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseRaw(text.slice(0, slash));
  const length = text.slice(slash + 1);
  if (ip === undefined || !/^[0-9]{1,8}$/.test(length)) return undefined;
  const bits = Number(length);
  const width = familyBits(ip.family);
  if (bits > width) return undefined;
  return { ip, network: ip.value & prefixMask(bits, width), bits };
}

/** `ip/bits` the way Go's `net.IPNet.String()` prints a host or network. */
export function formatCidr(ip: IpAddress, bits: number): string {
  return `${formatIp(ip)}/${bits}`;
}
