import { Mechanism } from '../../../api/gen/connection.js';
import { Cls, KernelParam, MechanismType } from '../constants.js';
import { formatBoolParam, formatUintParam, parseBoolParam, parseUintParam } from '../params.js';

/** What `kernelMechanism()` puts in a new KERNEL mechanism; every field is optional. */
export interface KernelMechanismParams {
  /** `inodeURL`: the netns, `file:///proc/<pid>/ns/net` (or `inode://dev/ino` in transit). */
  readonly netnsUrl?: string;
  /** `name`: the interface name, at most 15 characters. */
  readonly interfaceName?: string;
  /** `tokenID`: SR-IOV device token id. */
  readonly deviceTokenId?: string;
  /** `supportsVlan`: the forwarder supports VLAN trunking. */
  readonly supportsVlan?: boolean;
  /** `vlan`: VLAN id (12 bits). */
  readonly vlan?: number;
  /** `routeLocalNet`: enable the `route_localnet` sysctl. */
  readonly routeLocalNet?: boolean;
  /** `IPTables4NatTemplate`: iptables NAT rules, stored joined with `;`. */
  readonly iptables4NatTemplate?: readonly string[];
}

/**
 * A typed view of a KERNEL mechanism's parameters (Go `kernel.Mechanism`). Getters read with the Go
 * encodings (bad numbers and booleans read as 0 and false); setters write `mechanism.parameters` in place, so
 * wrap a mechanism you own (a copy), never one you received.
 */
export class KernelMechanism {
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

  /** `inodeURL`, `''` when unset. */
  get netnsUrl(): string {
    return this.#get(KernelParam.NETNS_URL) ?? '';
  }
  set netnsUrl(url: string) {
    this.#set(KernelParam.NETNS_URL, url);
  }
  /** `name`, `''` when unset. */
  get interfaceName(): string {
    return this.#get(KernelParam.INTERFACE_NAME) ?? '';
  }
  set interfaceName(name: string) {
    this.#set(KernelParam.INTERFACE_NAME, name);
  }
  /** `pciAddress` (read-only since API v1.14), `''` when unset. */
  get pciAddress(): string {
    return this.#get(KernelParam.PCI_ADDRESS) ?? '';
  }
  /** True when `pciAddress` is set. */
  get isPciDevice(): boolean {
    return this.pciAddress !== '';
  }
  /** `tokenID`, `''` when unset. */
  get deviceTokenId(): string {
    return this.#get(KernelParam.DEVICE_TOKEN_ID) ?? '';
  }
  set deviceTokenId(token: string) {
    this.#set(KernelParam.DEVICE_TOKEN_ID, token);
  }
  /** `supportsVlan`, false unless it holds a Go true form. */
  get supportsVlan(): boolean {
    return parseBoolParam(this.#get(KernelParam.SUPPORTS_VLAN));
  }
  set supportsVlan(value: boolean) {
    this.#set(KernelParam.SUPPORTS_VLAN, formatBoolParam(value));
  }
  /** `vlan`, 12 bits; 0 when unset or invalid. */
  get vlan(): number {
    return parseUintParam(this.#get(KernelParam.VLAN), 12);
  }
  set vlan(id: number) {
    this.#set(KernelParam.VLAN, formatUintParam(id, 12));
  }
  /** `routeLocalNet`, false unless it holds a Go true form. */
  get routeLocalNet(): boolean {
    return parseBoolParam(this.#get(KernelParam.ROUTE_LOCAL_NET));
  }
  set routeLocalNet(value: boolean) {
    this.#set(KernelParam.ROUTE_LOCAL_NET, formatBoolParam(value));
  }
  /** `IPTables4NatTemplate` split on `;`, undefined when the key is absent. */
  get iptables4NatTemplate(): string[] | undefined {
    return this.#get(KernelParam.IPTABLES4_NAT_TEMPLATE)?.split(';');
  }
  set iptables4NatTemplate(rules: readonly string[]) {
    this.#set(KernelParam.IPTABLES4_NAT_TEMPLATE, rules.join(';'));
  }
}

/** The KERNEL view of `mechanism`, or undefined when it is not a KERNEL mechanism (Go `kernel.ToMechanism`). */
export function toKernel(mechanism: Mechanism | undefined): KernelMechanism | undefined {
  return mechanism?.type === MechanismType.KERNEL ? new KernelMechanism(mechanism) : undefined;
}

/** A new LOCAL KERNEL mechanism (Go `kernel.New(netnsURL)`, with any other parameters set as well). */
export function kernelMechanism(params: KernelMechanismParams = {}): Mechanism {
  const mechanism = Mechanism.fromPartial({ cls: Cls.LOCAL, type: MechanismType.KERNEL });
  const view = new KernelMechanism(mechanism);
  if (params.netnsUrl !== undefined) view.netnsUrl = params.netnsUrl;
  if (params.interfaceName !== undefined) view.interfaceName = params.interfaceName;
  if (params.deviceTokenId !== undefined) view.deviceTokenId = params.deviceTokenId;
  if (params.supportsVlan !== undefined) view.supportsVlan = params.supportsVlan;
  if (params.vlan !== undefined) view.vlan = params.vlan;
  if (params.routeLocalNet !== undefined) view.routeLocalNet = params.routeLocalNet;
  if (params.iptables4NatTemplate !== undefined) view.iptables4NatTemplate = params.iptables4NatTemplate;
  return mechanism;
}
