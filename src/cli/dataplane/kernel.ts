/**
 * The kernel data plane of `nsm forwarder` (components.md §1.7): veth pairs between pods of this node, VXLAN
 * to other nodes, on the kernel library's `ip` channels. The one file that knows `elements/kernel-dataplane`
 * and `src/kernel`.
 * @module
 */
import { firstValueFrom } from 'rxjs';
import { MonitorScopeSelector } from '../../api/gen/connection.js';
import { withCancel } from '../../chain/cancel.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';
import type { PeerConnection } from '../../chain/peer.js';
import { ConfigProblem } from '../../config/index.js';
import {
  kernelDataPlaneClient,
  kernelDataPlaneServer,
  reconcile,
} from '../../elements/kernel-dataplane/index.js';
import {
  filterMechanismsClient,
  kernelMechanism,
  mechanismsServer,
  VXLAN_DEFAULT_PORT,
  vxlanClient,
  vxlanMechanism,
  vxlanServer,
} from '../../elements/mechanisms/index.js';
import { listNetns, NetlinkPool } from '../../kernel/index.js';
import type { Component } from '../runtime/component.js';
import type { DataPlane, ForwarderConfig } from './index.js';

/** How long the startup cleanup may wait for the nsmgr's list of connections. */
const LIVE_CONNECTIONS_TIMEOUT_MS = 5_000;

/** Ids (path segment 0) of the connections through forwarder `name`, as its nsmgr reports them. */
async function liveConnectionIds(
  nsmgr: PeerConnection,
  name: string,
  component: Component,
): Promise<string[]> {
  const scope = withCancel(component.ctx, LIVE_CONNECTIONS_TIMEOUT_MS);
  try {
    const events = nsmgr.monitorConnection.monitorConnections(MonitorScopeSelector.create(), scope.ctx);
    const snapshot = await firstValueFrom(events);
    return Object.values(snapshot.connections)
      .filter((c) => c.path?.pathSegments.some((segment) => segment.name === name))
      .map((c) => c.path?.pathSegments[0]?.id ?? c.id);
  } finally {
    scope.cancel();
  }
}

/** Removes links a previous instance left for connections that are gone; keeps those of live ones. */
async function cleanUp(pool: NetlinkPool, nsmgr: PeerConnection, component: Component): Promise<void> {
  const { logger, name } = component;
  let live: string[];
  try {
    live = await liveConnectionIds(nsmgr, name, component);
  } catch (error) {
    logger.log('warn', 'kernel data plane: no connection list from the nsmgr; old links left as they are', {
      error,
    });
    return;
  }
  // Only links tagged with this forwarder's name: another forwarder's (another node of a demo, a test) stay.
  const result = await reconcile(pool, await listNetns(), live, name);
  logger.log('info', 'kernel data plane: links of an earlier instance reconciled', {
    removed: result.removed.map((l) => `${l.netns.path}:${l.name}`),
    kept: result.kept.map((l) => `${l.netns.path}:${l.name}`),
  });
}

/** Offers the next hop KERNEL (an endpoint on this node) and VXLAN (another node), from this tunnel IP. */
function offerMechanisms(srcIp: string, srcPort: number): NetworkServiceElement {
  return {
    name: 'offer-mechanisms',
    async request(request, ctx, next) {
      if (request.mechanismPreferences.length > 0) return next.request(request, ctx);
      const mechanismPreferences = [kernelMechanism(), vxlanMechanism({ srcIp, srcPort })];
      return next.request({ ...request, mechanismPreferences }, ctx);
    },
  };
}

export async function kernelDataPlane(
  config: ForwarderConfig,
  component: Component,
  nsmgr: PeerConnection,
): Promise<DataPlane> {
  const tunnelIp = config.tunnelIp;
  if (tunnelIp === '') {
    throw new ConfigProblem('NSM_TUNNEL_IP is required by the kernel data plane (e.g. 10.0.0.1)');
  }
  const port = config.vxlanPort === 0 ? VXLAN_DEFAULT_PORT : config.vxlanPort;
  const pool = new NetlinkPool();
  component.onStop(() => pool.close());
  await cleanUp(pool, nsmgr, component);
  return {
    server: [
      mechanismsServer({
        KERNEL: { name: 'kernel-dataplane/kernel' },
        VXLAN: vxlanServer({ dstIp: tunnelIp, dstPort: port }),
      }),
      kernelDataPlaneServer({ pool, tunnelIp, owner: component.name }),
    ],
    client: [
      kernelDataPlaneClient(),
      offerMechanisms(tunnelIp, port),
      vxlanClient({ srcIp: tunnelIp, srcPort: port }),
      filterMechanismsClient(),
    ],
  };
}
