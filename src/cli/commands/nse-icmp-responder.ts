/**
 * `nsm nse-icmp-responder`: the endpoint preset with point-to-point IPAM per CIDR group and the KERNEL and
 * NOOP mechanisms, registered with its nsmgr.
 * @module
 */
import type { NetworkServiceElement } from '../../chain/network-service.js';
import type { ConfigOf } from '../../config/index.js';
import { kernelServer, mechanismsServer, noopServer } from '../../elements/mechanisms/index.js';
import { point2pointIpamServer } from '../../elements/point2point-ipam/index.js';
import { endpoint } from '../../presets/endpoint/index.js';
import { netnsUrlServer } from '../netns-url.js';
import { onIdleServer } from '../on-idle.js';
import { registerEndpoint, registerServices } from '../register.js';
import type { Component } from '../runtime/component.js';
import type { nseIcmpResponderSpec } from '../specs/index.js';

type Config = ConfigOf<typeof nseIcmpResponderSpec>;

function responderElements(config: Config, component: Component): NetworkServiceElement[] {
  const idle =
    config.idleTimeout > 0
      ? [
          onIdleServer({
            timeoutMs: config.idleTimeout,
            notify: () => component.stop('idle timeout'),
            chainSignal: component.chainSignal,
          }),
        ]
      : [];
  return [
    ...idle,
    ...config.cidrPrefix.map((group) => point2pointIpamServer({ prefixes: group })),
    mechanismsServer({ KERNEL: kernelServer(), NOOP: noopServer() }),
    netnsUrlServer(),
  ];
}

export async function startNseIcmpResponder(config: Config, component: Component): Promise<void> {
  const listenOn = config.listenOn ?? `unix://${await component.tempDir(config.name)}/listen.on`;
  const nse = endpoint({
    name: config.name,
    tokenGenerator: component.tokens,
    chainSignal: component.chainSignal,
    additional: responderElements(config, component),
  });
  await component.serve(listenOn, {
    networkService: nse.networkService,
    monitorConnection: nse.monitorConnection,
  });
  if (config.registerService) {
    await registerServices(component, config.connectTo, config.serviceNames, config.payload);
  }
  const labels = { labels: { ...config.labels } };
  await registerEndpoint(
    component,
    config.connectTo,
    {
      name: config.name,
      networkServiceNames: [...config.serviceNames],
      networkServiceLabels: Object.fromEntries(config.serviceNames.map((s) => [s, labels])),
      url: listenOn,
    },
    config.unregisterItself,
  );
}
