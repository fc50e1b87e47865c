/**
 * The processes of dataplane-fullstack.ts: a registry, per node an nsmgr and a kernel forwarder in the node's
 * namespace, the icmp-responder endpoint in its pod on the last node; unix sockets in `dir`. With two nodes
 * the nsmgrs also listen on the underlay (a forwarder offers VXLAN only to a next hop with a tcp URL).
 */
import { join } from 'node:path';
import type { ChildSpec } from '../src/cli/demo/child.js';
import { UNDERLAY } from './dataplane-lib.js';

export type DataPlane = 'kernel' | 'record';

/** The stages to start in order (each waits for its processes' `startup completed` line). */
export function meshStages(
  dir: string,
  nodeNs: readonly string[],
  nse: string,
  dataplane: DataPlane,
): ChildSpec[][] {
  const sock = (name: string): string => `unix://${join(dir, `${name}.sock`)}`;
  const spec = (label: string, netns: string, env: Record<string, string>): ChildSpec => ({
    label,
    command: label.replace(/-\d+$/, ''),
    netns,
    env: { NSM_LOG_LEVEL: 'INFO', ...env },
  });
  const tcp = (i: number): string => (nodeNs.length > 1 ? `,tcp://${UNDERLAY[i]}:5001` : '');
  const registry: ChildSpec = {
    label: 'registry',
    command: 'registry',
    env: { NSM_LOG_LEVEL: 'INFO', NSM_LISTEN_ON: sock('registry') },
  };
  const nsmgrs = nodeNs.map((ns, i) =>
    spec(`nsmgr-${i}`, ns, {
      NSM_NAME: `nsmgr-${i}`,
      NSM_LISTEN_ON: `${sock(`nsmgr-${i}`)}${tcp(i)}`,
      NSM_REGISTRY_URL: sock('registry'),
    }),
  );
  const forwarders = nodeNs.map((ns, i) =>
    spec(`forwarder-${i}`, ns, {
      NSM_NAME: `forwarder-${i}`,
      NSM_CONNECT_TO: sock(`nsmgr-${i}`),
      NSM_LISTEN_ON: sock(`forwarder-${i}`),
      NSM_DATAPLANE: dataplane,
      NSM_TUNNEL_IP: UNDERLAY[i] ?? '',
    }),
  );
  const endpoint = spec('nse-icmp-responder', nse, {
    NSM_NAME: 'nse',
    NSM_CONNECT_TO: sock(`nsmgr-${nodeNs.length - 1}`),
    NSM_LISTEN_ON: sock('nse'),
    NSM_SERVICE_NAMES: 'icmp-responder',
    NSM_CIDR_PREFIX: '172.29.8.0/24',
  });
  return [
    [registry, ...nsmgrs],
    [...forwarders, endpoint],
  ];
}
