/**
 * The NSC's requests (Go cmd-nsc `constructRequest`): one per network service URL, with id `<name>-<i>`; a
 * connection the nsmgr still has for that id (the client restarted) is taken back instead of made anew.
 * @module
 */
import { firstValueFrom } from 'rxjs';
import { type Connection, MonitorScopeSelector, State } from '../api/gen/connection.js';
import { NetworkServiceRequest } from '../api/gen/networkservice.js';
import { withCancel } from '../chain/cancel.js';
import type { CallContext } from '../chain/context.js';
import { loggerOf } from '../chain/logger.js';
import type { PeerConnection } from '../chain/peer.js';
import type { NetworkServiceUrl } from '../config/index.js';
import { kernelMechanism } from '../elements/mechanisms/index.js';

/** The fresh request for `service`: its name, labels and mechanism (with the interface name from the URL). */
export function newRequest(id: string, service: NetworkServiceUrl): NetworkServiceRequest {
  const mechanism = kernelMechanism(
    service.interfaceName === undefined ? {} : { interfaceName: service.interfaceName },
  );
  return NetworkServiceRequest.fromPartial({
    connection: { id, networkService: service.networkService, labels: { ...service.labels } },
    mechanismPreferences: [mechanism],
  });
}

/**
 * The connection the nsmgr reports for client connection `id` (first path segment `id`, seen from path index
 * 1, same mechanism type), or undefined; asked within `timeoutMs`, any failure meaning none.
 */
export async function previousConnection(
  nsmgr: PeerConnection,
  id: string,
  ctx: CallContext,
  timeoutMs: number,
): Promise<Connection | undefined> {
  const scope = withCancel(ctx, timeoutMs);
  try {
    const selector = MonitorScopeSelector.fromPartial({ pathSegments: [{ id }] });
    const snapshot = await firstValueFrom(nsmgr.monitorConnection.monitorConnections(selector, scope.ctx));
    return Object.values(snapshot.connections).find(
      (c) => c.path?.index === 1 && c.path.pathSegments[0]?.id === id && c.mechanism?.type === 'KERNEL',
    );
  } catch (error) {
    loggerOf(ctx).log('debug', `no connection ${id} to take back from the nsmgr`, { error });
    return undefined;
  } finally {
    scope.cancel();
  }
}

/**
 * The request to send: `fresh`, or the previous connection taken back (path index 0). A previous connection
 * that is DOWN asks for another endpoint (no data-plane liveness check here: DOWN is taken as dead).
 */
export function resumedRequest(
  fresh: NetworkServiceRequest,
  previous: Connection | undefined,
): NetworkServiceRequest {
  if (previous === undefined || previous.path === undefined) return fresh;
  const connection: Connection = {
    ...previous,
    id: fresh.connection?.id ?? previous.id,
    path: { ...previous.path, index: 0 },
  };
  if (previous.state === State.DOWN) {
    return {
      ...fresh,
      connection: {
        ...connection,
        mechanism: undefined,
        networkServiceEndpointName: '',
        state: State.RESELECT_REQUESTED,
      },
    };
  }
  return { ...fresh, connection };
}
