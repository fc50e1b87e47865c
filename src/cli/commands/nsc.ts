/**
 * `nsm nsc`: the client preset with heal, refresh and the KERNEL mechanism; requests every configured
 * service until it succeeds, logs each connection, and closes them all when stopping.
 * @module
 */
import type { Connection } from '../../api/gen/connection.js';
import { withCancel } from '../../chain/cancel.js';
import { networkServiceHandler } from '../../chain/network-service.js';
import { ConfigProblem, type ConfigOf } from '../../config/index.js';
import { kernelClient, mechanismsClient } from '../../elements/mechanisms/index.js';
import { retryClient } from '../../elements/retry/index.js';
import { clientElements } from '../../presets/client/index.js';
import { netnsUrlClient } from '../netns-url.js';
import { newRequest, previousConnection, resumedRequest } from '../nsc-request.js';
import type { Component } from '../runtime/component.js';
import type { nscSpec } from '../specs/index.js';

type Config = ConfigOf<typeof nscSpec>;

/** What the log says about a connection: its path, mechanism and addresses. */
export function describeConnection(connection: Connection): Record<string, unknown> {
  const ip = connection.context?.ipContext;
  return {
    id: connection.id,
    networkService: connection.networkService,
    endpoint: connection.networkServiceEndpointName,
    path: connection.path?.pathSegments.map((segment) => segment.name) ?? [],
    mechanism: connection.mechanism?.type,
    interface: connection.mechanism?.parameters['name'],
    srcIps: ip?.srcIpAddrs ?? [],
    dstIps: ip?.dstIpAddrs ?? [],
  };
}

export async function startNsc(config: Config, component: Component): Promise<void> {
  const unsupported = config.networkServices.find((s) => s.mechanism !== 'KERNEL');
  if (unsupported !== undefined) {
    throw new ConfigProblem(`NSM_NETWORK_SERVICES: "${unsupported.url}": only kernel:// is supported`);
  }
  const { dialer, chainSignal, logger } = component;
  const client = networkServiceHandler(
    clientElements({
      name: config.name,
      url: config.connectTo,
      dialer,
      chainSignal,
      heal: {},
      dialTimeoutMs: config.dialTimeout,
      additional: [mechanismsClient({ KERNEL: kernelClient() }), netnsUrlClient()],
    }),
  );
  const retrying = retryClient(client, { tryTimeoutMs: config.requestTimeout, intervalMs: 100 });
  const connections: Connection[] = [];
  component.onStop(async () => {
    for (const connection of connections.reverse()) {
      const scope = withCancel(component.background, config.requestTimeout);
      try {
        await client.close(connection, scope.ctx);
        logger.log('info', `closed ${connection.id}`);
      } catch (error) {
        logger.log('error', `closing ${connection.id} failed`, { error });
      } finally {
        scope.cancel();
      }
    }
  });
  const nsmgr = dialer(config.connectTo);
  try {
    for (const [i, service] of config.networkServices.entries()) {
      const id = `${config.name}-${i}`;
      const previous = await previousConnection(nsmgr, id, component.ctx, config.requestTimeout);
      if (previous !== undefined) logger.log('info', `taking back ${id} from the nsmgr`);
      const begun = performance.now();
      const connection = await retrying.request(
        resumedRequest(newRequest(id, service), previous),
        component.ctx,
      );
      connections.push(connection);
      logger.log('info', `connected to ${connection.networkService}`, {
        connection: describeConnection(connection),
        requestMs: Math.round((performance.now() - begun) * 10) / 10,
      });
    }
  } finally {
    nsmgr.close();
  }
}
