/**
 * VNI parity and random VNIs (Go `vxlan.Mechanism.EvenVNI` and `GenerateRandomVNI`).
 * @module
 */
import { getRandomValues } from 'node:crypto';
import type { Mechanism } from '../../../api/gen/connection.js';
import { Code, StatusError } from '../../../chain/errors.js';
import { VxlanParam } from '../constants.js';
import { compareIp16, parseIp } from '../ip.js';
import { parseIpParam } from '../params.js';

/** A random unsigned 32-bit integer, as Go's `rand.Uint32`. */
export type RandomUint32 = () => number;

const cryptoUint32: RandomUint32 = () => getRandomValues(new Uint32Array(1))[0] ?? 0;

/**
 * True when the NSE side must pick an even VNI (Go `vxlan.Mechanism.EvenVNI`). The source is `orig_src_ip`
 * when that key is present, else `src_ip`; an unparsable source gives true. The destination is `orig_dst_ip`
 * when present, else `dst_ip`; an unparsable destination gives false. Otherwise true iff source ≤ destination
 * in Go's 16-byte order, so the two ends of a tunnel allocate from disjoint halves.
 */
export function evenVni(mechanism: Mechanism): boolean {
  const params = mechanism.parameters;
  const pick = (original: string, plain: string): string =>
    (Object.hasOwn(params, original) ? params[original] : params[plain]) ?? '';
  const src = parseIp(pick(VxlanParam.SRC_ORIGINAL_IP, VxlanParam.SRC_IP));
  if (src === undefined) return true;
  const dst = parseIp(pick(VxlanParam.DST_ORIGINAL_IP, VxlanParam.DST_IP));
  if (dst === undefined) return false;
  return compareIp16(src, dst) <= 0;
}

/**
 * A random 24-bit VNI of the parity {@link evenVni} asks for (Go `GenerateRandomVNI`): `2r` or `2r + 1`
 * masked to 24 bits. Fails with INVALID_ARGUMENT, reason `MECHANISMS_VXLAN_NO_IPS`, unless both `src_ip` and
 * `dst_ip` parse.
 */
export function generateRandomVni(mechanism: Mechanism, random: RandomUint32 = cryptoUint32): number {
  const params = mechanism.parameters;
  if (
    parseIpParam(params[VxlanParam.SRC_IP]) === undefined ||
    parseIpParam(params[VxlanParam.DST_IP]) === undefined
  ) {
    throw new StatusError(
      Code.INVALID_ARGUMENT,
      `mechanisms/vxlan: both src_ip (${params[VxlanParam.SRC_IP]}) and dst_ip (${params[VxlanParam.DST_IP]}) must be IP addresses`,
      { reason: 'MECHANISMS_VXLAN_NO_IPS' },
    );
  }
  const doubled = 2 * (random() >>> 0);
  return (evenVni(mechanism) ? doubled : doubled + 1) % 0x1000000;
}
