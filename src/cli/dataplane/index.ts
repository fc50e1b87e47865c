/**
 * The forwarder's data planes: `record` (what the sandbox uses: the connection is recorded, nothing is
 * touched) and `kernel` (veth pairs and VXLAN devices, in `./kernel.ts`).
 * @module
 */
import type { NetworkServiceElement } from '../../chain/network-service.js';
import type { PeerConnection } from '../../chain/peer.js';
import type { ConfigOf } from '../../config/index.js';
import { kernelClient, mechanismsServer } from '../../elements/mechanisms/index.js';
import { recordingDataPlane } from '../../testing/sandbox/recording-data-plane.js';
import type { Component } from '../runtime/component.js';
import type { forwarderSpec } from '../specs/index.js';
import { kernelDataPlane } from './kernel.js';

export type ForwarderConfig = ConfigOf<typeof forwarderSpec>;

/** The elements a data plane adds to the forwarder: server side (before connect) and onward client side. */
export interface DataPlane {
  readonly server: readonly NetworkServiceElement[];
  readonly client: readonly NetworkServiceElement[];
}

/**
 * Records each wire instead of making it, and logs it: the client's KERNEL mechanism is accepted as it is,
 * and the onward request offers KERNEL to the endpoint.
 */
function recordDataPlane(component: Component): DataPlane {
  const recorder = recordingDataPlane();
  const { logger } = component;
  const logged: NetworkServiceElement = {
    name: 'record-log',
    async request(request, ctx, next) {
      const id = request.connection?.id ?? '';
      const fresh = !recorder.live.has(id);
      const connection = await recorder.request!(request, ctx, next);
      if (fresh) logger.log('info', 'data plane: wired (recorded, nothing touched)', { id });
      return connection;
    },
    async close(connection, ctx, next) {
      const live = recorder.live.has(connection.id);
      await recorder.close!(connection, ctx, next);
      if (live) logger.log('info', 'data plane: unwired (recorded)', { id: connection.id });
    },
  };
  return {
    server: [mechanismsServer({ KERNEL: { name: 'record-kernel' } }), logged],
    client: [kernelClient()],
  };
}

/** The data plane `config.dataplane` names; `nsmgr` is the forwarder's connection to its nsmgr. */
export async function dataPlaneOf(
  config: ForwarderConfig,
  component: Component,
  nsmgr: PeerConnection,
): Promise<DataPlane> {
  if (config.dataplane === 'record') return recordDataPlane(component);
  return kernelDataPlane(config, component, nsmgr);
}
