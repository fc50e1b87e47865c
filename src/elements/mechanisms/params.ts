/**
 * Mechanism parameters are strings; these read and write numbers, booleans and IPs the way the Go API helpers
 * do (`strconv.ParseUint`/`FormatUint`, `ParseBool`/`FormatBool`, `net.ParseIP`/`IP.String`).
 * @module
 */
import { canonicalIp } from './ip.js';

/**
 * Go `strconv.ParseUint(text, 10, bits)` as the getters use it: decimal digits only (leading zeros accepted,
 * no sign), below 2^bits; anything else (empty, out of range, `+1`, `1.0`) reads as 0.
 */
export function parseUintParam(text: string | undefined, bits: number): number {
  if (text === undefined || !/^[0-9]+$/.test(text)) return 0;
  const value = BigInt(text);
  return value < 1n << BigInt(bits) ? Number(value) : 0;
}

/** Go `strconv.FormatUint`: plain decimal. Throws a RangeError for a value that does not fit `bits`. */
export function formatUintParam(value: number, bits: number): string {
  if (!Number.isSafeInteger(value) || value < 0 || BigInt(value) >= 1n << BigInt(bits)) {
    throw new RangeError(`mechanisms: ${value} is not a ${bits}-bit unsigned integer`);
  }
  return String(value);
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

/** Go `strconv.ParseBool` as the getters use it: the Go true forms read as true, everything else false. */
export function parseBoolParam(text: string | undefined): boolean {
  return text !== undefined && TRUE.has(text);
}

/** Go `strconv.FormatBool`. */
export function formatBoolParam(value: boolean): string {
  return value ? 'true' : 'false';
}

/** Go `net.ParseIP(text).String()`: the canonical form, or undefined when the text is not an IP. */
export function parseIpParam(text: string | undefined): string | undefined {
  return text === undefined ? undefined : canonicalIp(text);
}

/** The canonical Go form of `ip`; throws a RangeError when it is not an IP address. */
export function formatIpParam(ip: string): string {
  const canonical = canonicalIp(ip);
  if (canonical === undefined) throw new RangeError(`mechanisms: "${ip}" is not an IP address`);
  return canonical;
}
