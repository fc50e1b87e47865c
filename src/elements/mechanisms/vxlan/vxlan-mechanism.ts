import { Mechanism } from '../../../api/gen/connection.js';
import { Cls, MechanismType, VxlanParam } from '../constants.js';
import { formatIpParam, formatUintParam, parseIpParam, parseUintParam } from '../params.js';
import { evenVni, generateRandomVni, type RandomUint32 } from './vni.js';

/** What `vxlanMechanism()` puts in a new VXLAN mechanism; every field is optional. */
export interface VxlanMechanismParams {
  readonly srcIp?: string;
  readonly dstIp?: string;
  readonly srcPort?: number;
  readonly dstPort?: number;
  readonly vni?: number;
  readonly mtu?: number;
}

/**
 * A typed view of a VXLAN mechanism's parameters (Go `vxlan.Mechanism`). Getters read with the Go encodings
 * (IPs in canonical form or undefined, bad numbers as 0); setters write `mechanism.parameters` in place, so
 * wrap a mechanism you own. Setters throw a RangeError for a value Go's types could not hold.
 */
export class VxlanMechanism {
  readonly mechanism: Mechanism;

  constructor(mechanism: Mechanism) {
    this.mechanism = mechanism;
  }

  #get(key: string): string | undefined {
    return this.mechanism.parameters[key];
  }
  #set(key: string, value: string): void {
    this.mechanism.parameters[key] = value;
  }

  /** `src_ip`, canonical; undefined when unset or not an IP. */
  get srcIp(): string | undefined {
    return parseIpParam(this.#get(VxlanParam.SRC_IP));
  }
  set srcIp(ip: string) {
    this.#set(VxlanParam.SRC_IP, formatIpParam(ip));
  }
  /** `dst_ip`, canonical; undefined when unset or not an IP. */
  get dstIp(): string | undefined {
    return parseIpParam(this.#get(VxlanParam.DST_IP));
  }
  set dstIp(ip: string) {
    this.#set(VxlanParam.DST_IP, formatIpParam(ip));
  }
  /** `orig_src_ip` (pre-NAT source), canonical; undefined when unset or not an IP. */
  get srcOriginalIp(): string | undefined {
    return parseIpParam(this.#get(VxlanParam.SRC_ORIGINAL_IP));
  }
  /** `orig_dst_ip` (pre-NAT destination), canonical; undefined when unset or not an IP. */
  get dstOriginalIp(): string | undefined {
    return parseIpParam(this.#get(VxlanParam.DST_ORIGINAL_IP));
  }
  /** `src_port`, 16 bits; 0 when unset or invalid. */
  get srcPort(): number {
    return parseUintParam(this.#get(VxlanParam.SRC_PORT), 16);
  }
  set srcPort(port: number) {
    this.#set(VxlanParam.SRC_PORT, formatUintParam(port, 16));
  }
  /** `dst_port`, 16 bits; 0 when unset or invalid. */
  get dstPort(): number {
    return parseUintParam(this.#get(VxlanParam.DST_PORT), 16);
  }
  set dstPort(port: number) {
    this.#set(VxlanParam.DST_PORT, formatUintParam(port, 16));
  }
  /** `vni`, 24 bits; 0 when unset or invalid. */
  get vni(): number {
    return parseUintParam(this.#get(VxlanParam.VNI), 24);
  }
  set vni(vni: number) {
    this.#set(VxlanParam.VNI, formatUintParam(vni, 24));
  }
  /** `MTU`, 32 bits; 0 when unset or invalid. */
  get mtu(): number {
    return parseUintParam(this.#get(VxlanParam.MTU), 32);
  }
  set mtu(mtu: number) {
    this.#set(VxlanParam.MTU, formatUintParam(mtu, 32));
  }
  /** See {@link evenVni}. */
  evenVni(): boolean {
    return evenVni(this.mechanism);
  }
  /** See {@link generateRandomVni}. */
  generateRandomVni(random?: RandomUint32): number {
    return generateRandomVni(this.mechanism, random);
  }
}

/** The VXLAN view of `mechanism`, or undefined when it is not a VXLAN mechanism (Go `vxlan.ToMechanism`). */
export function toVxlan(mechanism: Mechanism | undefined): VxlanMechanism | undefined {
  return mechanism?.type === MechanismType.VXLAN ? new VxlanMechanism(mechanism) : undefined;
}

/** A new REMOTE VXLAN mechanism with the given parameters. */
export function vxlanMechanism(params: VxlanMechanismParams = {}): Mechanism {
  const mechanism = Mechanism.fromPartial({ cls: Cls.REMOTE, type: MechanismType.VXLAN });
  const view = new VxlanMechanism(mechanism);
  if (params.srcIp !== undefined) view.srcIp = params.srcIp;
  if (params.dstIp !== undefined) view.dstIp = params.dstIp;
  if (params.srcPort !== undefined) view.srcPort = params.srcPort;
  if (params.dstPort !== undefined) view.dstPort = params.dstPort;
  if (params.vni !== undefined) view.vni = params.vni;
  if (params.mtu !== undefined) view.mtu = params.mtu;
  return mechanism;
}
