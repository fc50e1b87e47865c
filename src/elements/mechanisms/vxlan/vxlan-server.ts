import { cloneMessage } from '../../../api/clone.js';
import { Code, StatusError } from '../../../chain/errors.js';
import { metadataKey, metadataOf, type MetadataMap } from '../../../chain/metadata.js';
import type { NetworkServiceElement } from '../../../chain/network-service.js';
import { tunnelIp, tunnelPort } from './vxlan-client.js';
import type { RandomUint32 } from './vni.js';
import { toVxlan, type VxlanMechanism } from './vxlan-mechanism.js';

/** Options of `vxlanServer`. */
export interface VxlanServerOptions {
  /** This forwarder's tunnel IP, written as `dst_ip` on the chosen VXLAN mechanism. Required. */
  readonly dstIp: string;
  /** UDP port written as `dst_port`. Default 4789; 0 means the default. */
  readonly dstPort?: number;
  /** Source of random uint32 values for VNI generation. Default: `crypto.getRandomValues`. */
  readonly random?: RandomUint32;
}

interface VniLease {
  readonly src: string;
  readonly vni: number;
}
const leaseKey = metadataKey<VniLease>('mechanisms/vxlan/vni');
interface Outcome {
  readonly undo: () => void;
  readonly commit: () => void;
}
const unchanged: Outcome = { undo: () => undefined, commit: () => undefined };
const VNI_SPACE = 0x1000000;

/**
 * Server side of VXLAN: on a VXLAN mechanism writes this forwarder's tunnel IP and port as `dst_ip`/`dst_port`
 * and makes sure the mechanism carries a VNI unique per source IP (Go `vni.NewServer`). A VNI the request
 * already carries is kept and recorded; otherwise the one remembered for the connection is reused, or a new
 * random one of the parity `evenVni` asks for is allocated. The table is element-wide; entries are freed on
 * Close and when the Request that added them fails. Needs `metadata()` before it.
 *
 * Fails with INVALID_ARGUMENT, reason `MECHANISMS_VXLAN_NO_IPS`, when a VNI must be generated and `src_ip` is
 * missing; RESOURCE_EXHAUSTED, reason `MECHANISMS_VNI_EXHAUSTED`, when every VNI of the parity is taken.
 *
 * Where in the chain: inside `mechanismsServer({ VXLAN: vxlanServer({ dstIp }) })` in a forwarder.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/mechanisms/vxlan/vni
 */
export function vxlanServer(
  options: VxlanServerOptions,
): NetworkServiceElement & { readonly allocated: number } {
  const dstIp = tunnelIp(options.dstIp, 'vxlanServer');
  const dstPort = tunnelPort(options.dstPort, 'vxlanServer');
  const random = options.random;
  // `${src}/${vni}` → id of the connection that holds it.
  const table = new Map<string, string>();
  const keyOf = (lease: VniLease): string => `${lease.src}/${lease.vni}`;

  const allocate = (view: VxlanMechanism, src: string): number => {
    const free = (vni: number): boolean => vni !== 0 && !table.has(keyOf({ src, vni }));
    for (let attempt = 0; attempt < 32; attempt++) {
      const vni = view.generateRandomVni(random);
      if (free(vni)) return vni;
    }
    const start = view.generateRandomVni(random);
    for (let step = 0; step < VNI_SPACE / 2; step++) {
      const vni = (start + 2 * step) % VNI_SPACE;
      if (free(vni)) return vni;
    }
    throw new StatusError(Code.RESOURCE_EXHAUSTED, `mechanisms/vxlan: no free VNI for source ${src}`, {
      reason: 'MECHANISMS_VNI_EXHAUSTED',
    });
  };
  const release = (lease: VniLease | undefined, id: string): void => {
    if (lease !== undefined && table.get(keyOf(lease)) === id) table.delete(keyOf(lease));
  };

  /**
   * Puts the VNI on `view` and records it; returns how to undo that if the Request fails and how to drop a
   * lease the connection held before once it succeeds.
   */
  const choose = (view: VxlanMechanism, id: string, meta: MetadataMap): Outcome => {
    const src = view.srcIp;
    const stored = meta.get(leaseKey);
    let lease: VniLease;
    if (view.vni !== 0 && src !== undefined) {
      lease = { src, vni: view.vni };
    } else if (stored !== undefined && stored.src === src) {
      lease = stored;
    } else {
      lease = { src: src ?? '', vni: allocate(view, src ?? '') };
    }
    view.vni = lease.vni;
    if (stored !== undefined && keyOf(stored) === keyOf(lease)) return unchanged;
    const key = keyOf(lease);
    const fresh = !table.has(key);
    if (fresh) table.set(key, id);
    meta.set(leaseKey, lease);
    return {
      undo: () => {
        if (fresh) table.delete(key);
        if (stored === undefined) meta.delete(leaseKey);
        else meta.set(leaseKey, stored);
      },
      commit: () => release(stored, id),
    };
  };

  return {
    name: 'mechanisms/vxlan',
    get allocated() {
      return table.size;
    },
    async request(request, ctx, next) {
      const connection = request.connection;
      const view = toVxlan(connection?.mechanism && cloneMessage(connection.mechanism));
      if (connection === undefined || view === undefined) return next.request(request, ctx);
      view.dstIp = dstIp;
      view.dstPort = dstPort;
      const meta = metadataOf(ctx, 'server');
      const outcome = choose(view, connection.id, meta);
      let result;
      try {
        result = await next.request(
          { ...request, connection: { ...connection, mechanism: view.mechanism } },
          ctx,
        );
      } catch (error) {
        outcome.undo();
        throw error;
      }
      outcome.commit();
      return result;
    },
    async close(connection, ctx, next) {
      const view = toVxlan(connection.mechanism);
      if (view !== undefined) {
        const meta = metadataOf(ctx, 'server');
        release(meta.take(leaseKey), connection.id);
        const src = view.srcIp;
        if (src !== undefined && view.vni !== 0) release({ src, vni: view.vni }, connection.id);
      }
      return next.close(connection, ctx);
    },
  };
}
