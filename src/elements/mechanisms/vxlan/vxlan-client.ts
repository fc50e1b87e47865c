import { cloneMessage } from '../../../api/clone.js';
import { ConfigError } from '../../../chain/errors.js';
import type { NetworkServiceElement } from '../../../chain/network-service.js';
import { VXLAN_DEFAULT_PORT } from '../constants.js';
import { canonicalIp } from '../ip.js';
import { toVxlan } from './vxlan-mechanism.js';

/** Options of `vxlanClient`. */
export interface VxlanClientOptions {
  /** This forwarder's tunnel IP, written as `src_ip` on every VXLAN preference. Required. */
  readonly srcIp: string;
  /** UDP port written as `src_port`. Default 4789; 0 means the default. */
  readonly srcPort?: number;
}

/** @internal */
export function tunnelIp(ip: string, factory: string): string {
  const canonical = typeof ip === 'string' ? canonicalIp(ip) : undefined;
  if (canonical === undefined) throw new ConfigError(`${factory}: "${String(ip)}" is not an IP address`);
  return canonical;
}

/** @internal */
export function tunnelPort(port: number | undefined, factory: string): number {
  if (port === undefined || port === 0) return VXLAN_DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new ConfigError(`${factory}: port ${port} is not a UDP port`);
  }
  return port;
}

/**
 * Client side of VXLAN: writes this forwarder's tunnel IP and port as `src_ip`/`src_port` on every VXLAN
 * preference (Go `vni.NewClient`). Other preferences pass unchanged.
 *
 * Where in the chain: a forwarder's client chain, inside `mechanismsClient({ VXLAN: vxlanClient(...) })` or
 * directly before `connect`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/mechanisms/vxlan/vni
 */
export function vxlanClient(options: VxlanClientOptions): NetworkServiceElement {
  const srcIp = tunnelIp(options.srcIp, 'vxlanClient');
  const srcPort = tunnelPort(options.srcPort, 'vxlanClient');
  return {
    name: 'mechanisms/vxlan',
    async request(request, ctx, next) {
      const mechanismPreferences = request.mechanismPreferences.map((preference) => {
        const view = toVxlan(cloneMessage(preference));
        if (view === undefined) return preference;
        view.srcIp = srcIp;
        view.srcPort = srcPort;
        return view.mechanism;
      });
      return next.request({ ...request, mechanismPreferences }, ctx);
    },
  };
}
