/**
 * From the two mechanisms of a forwarder (incoming from the client, outgoing to the next hop) and the
 * connection context to the links to make: a veth between the two pods (KERNEL/KERNEL), or a VXLAN device in
 * the local pod with its UDP socket in the node namespace (KERNEL/VXLAN on the NSC's node, VXLAN/KERNEL on the
 * NSE's node).
 * @module
 */
import { createHash } from 'node:crypto';
import type { Connection, Mechanism } from '../../api/gen/connection.js';
import { Code, StatusError } from '../../chain/errors.js';
import {
  checkIfName,
  netnsKey,
  parseNetnsUrl,
  type NetlinkChannels,
  type Netns,
} from '../../kernel/index.js';
import { MechanismType, parseIp, toKernel, toVxlan, VXLAN_DEFAULT_PORT } from '../mechanisms/index.js';
import type { Side } from './ip-context.js';

/** One pod-side interface. */
export interface PodEnd {
  readonly netns: Netns;
  readonly name: string;
  readonly side: Side;
}

export interface VethPlan {
  readonly kind: 'veth';
  /** The NSC end, then the NSE end. */
  readonly ends: readonly [PodEnd, PodEnd];
  readonly mtu: number | undefined;
}

export interface VxlanPlan {
  readonly kind: 'vxlan';
  readonly ends: readonly [PodEnd];
  /** Where the UDP socket lives; undefined: the forwarder's own namespace. */
  readonly node: Netns | undefined;
  readonly vni: number;
  readonly local: string;
  readonly remote: string;
  readonly port: number;
  readonly mtu: number;
}

export type Plan = VethPlan | VxlanPlan;

/** Linux VXLAN encapsulation overhead: outer Ethernet 14 + IPv4 20 (IPv6 40) + UDP 8 + VXLAN 8. */
export const VXLAN_OVERHEAD_IPV4 = 50;
export const VXLAN_OVERHEAD_IPV6 = 70;
const DEFAULT_MTU = 1500;
export const ALIAS_PREFIX = 'nsm-';

export function badMechanism(message: string): StatusError {
  return new StatusError(Code.INVALID_ARGUMENT, `kernel-dataplane: ${message}`, {
    reason: 'KERNEL_DATAPLANE_BAD_MECHANISM',
  });
}

/**
 * The alias marking a link as this data plane's: `nsm-<id>` with the id of path segment 0 (the NSC's, stable
 * across heal), or a hash of it when it has characters an alias can't carry through `ip -batch`. With an
 * `owner` (the forwarder's name) it is `nsm-<8 hex of the owner's hash>-<id>`, so that a restarted forwarder
 * can tell its own links from those of another forwarder sharing the machine.
 */
export function aliasFor(id: string, owner = ''): string {
  const safe = /^[A-Za-z0-9._:@+=~-]{1,200}$/.test(id);
  return ownerPrefix(owner) + (safe ? id : createHash('sha256').update(id).digest('hex').slice(0, 32));
}

/** The alias prefix of the links `owner` makes (`nsm-` alone without an owner: every forwarder's links). */
export function ownerPrefix(owner = ''): string {
  if (owner === '') return ALIAS_PREFIX;
  return `${ALIAS_PREFIX}${createHash('sha256').update(owner).digest('hex').slice(0, 8)}-`;
}

export function connectionAlias(connection: Connection, owner = ''): string {
  return aliasFor(connection.path?.pathSegments[0]?.id || connection.id, owner);
}

/** Fails early (before the downstream call) on a mechanism this data plane can't wire. */
export function checkIncoming(mechanism: Mechanism | undefined): void {
  if (mechanism === undefined) return; // not chosen yet; checked again on the way back
  if (mechanism.type === MechanismType.VXLAN) return;
  const kernel = toKernel(mechanism);
  if (kernel === undefined) {
    throw new StatusError(
      Code.INVALID_ARGUMENT,
      `kernel-dataplane: can't wire a ${mechanism.type || 'typeless'} mechanism (KERNEL and VXLAN only)`,
      { reason: 'KERNEL_DATAPLANE_UNSUPPORTED_MECHANISM' },
    );
  }
  parseNetnsUrl(kernel.netnsUrl);
  if (kernel.interfaceName !== '') checkIfName(kernel.interfaceName);
}

async function podEnd(pool: NetlinkChannels, mechanism: Mechanism | undefined, side: Side): Promise<PodEnd> {
  const kernel = toKernel(mechanism);
  if (kernel === undefined) throw badMechanism('expected a KERNEL mechanism');
  const who = side === 'src' ? 'client' : 'endpoint';
  if (kernel.interfaceName === '') throw badMechanism(`the ${who}'s KERNEL mechanism has no interface name`);
  if (kernel.netnsUrl === '') throw badMechanism(`the ${who}'s KERNEL mechanism has no inodeURL`);
  return { netns: await pool.resolve(kernel.netnsUrl), name: checkIfName(kernel.interfaceName), side };
}

export interface PlanOptions {
  readonly pool: NetlinkChannels;
  readonly node: Netns | undefined;
  readonly tunnelIp: string | undefined;
}

/** The links for `incoming` (client side) and `outgoing` (next hop side), or an error for other pairs. */
export async function makePlan(
  incoming: Mechanism | undefined,
  outgoing: Mechanism | undefined,
  connection: Connection,
  options: PlanOptions,
): Promise<Plan> {
  const { pool } = options;
  const contextMtu = connection.context?.MTU ?? 0;
  const { KERNEL, VXLAN } = MechanismType;
  switch (`${incoming?.type}/${outgoing?.type}`) {
    case `${KERNEL}/${KERNEL}`: {
      const ends = await Promise.all([podEnd(pool, incoming, 'src'), podEnd(pool, outgoing, 'dst')]);
      return { kind: 'veth', ends, mtu: contextMtu > 0 ? contextMtu : undefined };
    }
    case `${KERNEL}/${VXLAN}`:
      return vxlanPlan(await podEnd(pool, incoming, 'src'), outgoing, contextMtu, options);
    case `${VXLAN}/${KERNEL}`:
      return vxlanPlan(await podEnd(pool, outgoing, 'dst'), incoming, contextMtu, options);
    default:
      throw new StatusError(
        Code.INVALID_ARGUMENT,
        `kernel-dataplane: can't wire ${incoming?.type ?? 'none'}/${outgoing?.type ?? 'none'} ` +
          '(KERNEL/KERNEL, KERNEL/VXLAN and VXLAN/KERNEL only)',
        { reason: 'KERNEL_DATAPLANE_UNSUPPORTED_MECHANISM' },
      );
  }
}

/** The device MTU: the context's (1500 when unset) less the encapsulation, capped by the mechanism's. */
function vxlanMtu(contextMtu: number, mechanismMtu: number, family: 4 | 6 | undefined): number {
  const overhead = family === 6 ? VXLAN_OVERHEAD_IPV6 : VXLAN_OVERHEAD_IPV4;
  const mtu = (contextMtu > 0 ? contextMtu : DEFAULT_MTU) - overhead;
  return mechanismMtu > 0 ? Math.min(mtu, mechanismMtu) : mtu;
}

/**
 * On the NSC's node (pod end `src`) the tunnel goes from `src_ip` to `dst_ip`; on the NSE's node the other
 * way. Linux has one UDP port per device (sent to and listened on): `dst_port`, else `src_port`, else 4789.
 */
function vxlanPlan(
  pod: PodEnd,
  mechanism: Mechanism | undefined,
  contextMtu: number,
  options: PlanOptions,
): VxlanPlan {
  const vxlan = toVxlan(mechanism);
  if (vxlan === undefined) throw badMechanism('expected a VXLAN mechanism');
  const [mine, theirs] = pod.side === 'src' ? [vxlan.srcIp, vxlan.dstIp] : [vxlan.dstIp, vxlan.srcIp];
  const local = mine ?? options.tunnelIp;
  if (local === undefined || theirs === undefined) {
    throw badMechanism('the VXLAN mechanism lacks src_ip or dst_ip');
  }
  if (parseIp(local)?.family !== parseIp(theirs)?.family) {
    throw badMechanism('VXLAN src_ip and dst_ip differ in family');
  }
  if (vxlan.vni === 0) throw badMechanism('the VXLAN mechanism has no VNI');
  const mtu = vxlanMtu(contextMtu, vxlan.mtu, parseIp(local)?.family);
  const port = vxlan.dstPort || vxlan.srcPort || VXLAN_DEFAULT_PORT;
  return { kind: 'vxlan', ends: [pod], node: options.node, vni: vxlan.vni, local, remote: theirs, port, mtu };
}

/** Two plans with the same key make the same links (a refresh that can keep them). */
export function planKey(plan: Plan): string {
  const ends = plan.ends.map((e) => [netnsKey(e.netns), e.name, e.side]);
  if (plan.kind === 'veth') return JSON.stringify(['veth', ends]);
  const node = plan.node === undefined ? 'own' : netnsKey(plan.node);
  return JSON.stringify(['vxlan', ends, node, plan.vni, plan.local, plan.remote, plan.port]);
}
