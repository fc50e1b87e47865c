/**
 * `nsm nsmgr`: the nsmgr preset served on every NSM_LISTEN_ON URL, its public URL from the first tcp one.
 * @module
 */
import { ConfigProblem, type ConfigOf } from '../../config/index.js';
import { parseNsmUrl } from '../../api/url.js';
import { nsmgr } from '../../presets/nsmgr/index.js';
import { publicUrl } from '../public-url.js';
import type { Component } from '../runtime/component.js';
import type { nsmgrSpec } from '../specs/index.js';

export async function startNsmgr(config: ConfigOf<typeof nsmgrSpec>, component: Component): Promise<void> {
  const url = publicUrl(config.listenOn);
  const address = parseNsmUrl(url);
  if (address.kind === 'tcp' && address.port === 0) {
    throw new ConfigProblem(`NSM_LISTEN_ON: the public URL ${url} needs a fixed port`);
  }
  const mgr = nsmgr({
    name: config.name,
    url,
    ...(config.registryUrl === undefined ? {} : { registryUrl: config.registryUrl }),
    tokenGenerator: component.tokens,
    dialer: component.dialer,
    chainSignal: component.chainSignal,
    dialTimeoutMs: config.dialTimeout,
    forwarderServiceName: config.forwarderNetworkServiceName,
  });
  component.logger.log('info', `public URL ${url}`, {
    registry: config.registryUrl ?? '(none: standalone)',
  });
  const services = {
    networkService: mgr.networkService,
    monitorConnection: mgr.monitorConnection,
    nsRegistry: mgr.nsRegistry,
    nseRegistry: mgr.nseRegistry,
  };
  await Promise.all(config.listenOn.map((listen) => component.serve(listen, services)));
}
