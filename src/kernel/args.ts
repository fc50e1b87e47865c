/**
 * Checks of what goes on an `ip -batch` line from the wire: interface names, IPs, CIDRs and numbers are
 * validated before sending, because `ip` exits (ending the channel) on some malformed arguments.
 * @module
 */
import { isIP } from 'node:net';
import { Code } from '../chain/errors.js';
import { kernelError, KernelReason } from './errors.js';
import { checkArgument } from './ip-channel.js';

/** @internal */
export const bad = (what: string, value: unknown): Error =>
  kernelError(Code.INVALID_ARGUMENT, KernelReason.BAD_ARGUMENT, `bad ${what} ${JSON.stringify(value)}`);

/** `name` if Linux accepts it as an interface name (1–15 bytes, no `/`, `:` or whitespace, not `.`/`..`). */
export function checkIfName(name: string): string {
  const ok =
    typeof name === 'string' &&
    Buffer.byteLength(name) <= 15 &&
    name !== '.' &&
    name !== '..' &&
    !/[/:]/.test(name);
  if (!ok) throw bad('interface name', name);
  return checkArgument(name);
}

/** @internal */
export function checkIp(ip: string): string {
  if (isIP(ip) === 0) throw bad('IP address', ip);
  return ip;
}

/** @internal */
export function checkCidr(cidr: string): string {
  const [ip = '', bits = '', ...rest] = cidr.split('/');
  const max = isIP(ip) === 4 ? 32 : 128;
  if (rest.length > 0 || isIP(ip) === 0 || !/^\d{1,3}$/.test(bits) || Number(bits) > max)
    throw bad('CIDR', cidr);
  return cidr;
}

/** @internal */
export function checkUint(what: string, value: number, min: number, max: number): string {
  if (!Number.isInteger(value) || value < min || value > max) throw bad(what, value);
  return String(value);
}

/** @internal */
export const mtuArgs = (mtu: number | undefined): string[] =>
  mtu === undefined ? [] : ['mtu', checkUint('MTU', mtu, 68, 65535)];
