/**
 * `nsm forwarder`: the forwarder preset with the chosen data plane, registered with its nsmgr as an endpoint
 * of service NSM_NSNAME.
 * @module
 */
import { forwarder } from '../../presets/forwarder/index.js';
import { dataPlaneOf, type ForwarderConfig } from '../dataplane/index.js';
import { registerEndpoint } from '../register.js';
import type { Component } from '../runtime/component.js';

export async function startForwarder(config: ForwarderConfig, component: Component): Promise<void> {
  const nsmgr = component.dialer(config.connectTo);
  const dataPlane = await dataPlaneOf(config, component, nsmgr);
  const listenOn = config.listenOn ?? `unix://${await component.tempDir(config.name)}/listen_on.io.sock`;
  const fwd = forwarder({
    name: config.name,
    tokenGenerator: component.tokens,
    dialer: component.dialer,
    chainSignal: component.chainSignal,
    nsRegistry: nsmgr.nsRegistry,
    nseRegistry: nsmgr.nseRegistry,
    dataPlane: dataPlane.server,
    clientElements: dataPlane.client,
    dialTimeoutMs: config.dialTimeout,
  });
  await component.serve(listenOn, {
    networkService: fwd.networkService,
    monitorConnection: fwd.monitorConnection,
  });
  await registerEndpoint(
    component,
    config.connectTo,
    {
      name: config.name,
      networkServiceNames: [config.nsName],
      networkServiceLabels: { [config.nsName]: { labels: { ...config.labels } } },
      url: listenOn,
    },
    false,
  );
}
