/**
 * `nsm registry`: the registry preset served on every NSM_LISTEN_ON URL.
 * @module
 */
import type { ConfigOf } from '../../config/index.js';
import { registry } from '../../presets/registry/index.js';
import type { Component } from '../runtime/component.js';
import type { registrySpec } from '../specs/index.js';

export async function startRegistry(
  config: ConfigOf<typeof registrySpec>,
  component: Component,
): Promise<void> {
  const { nsRegistry, nseRegistry } = registry({
    tokenGenerator: component.tokens,
    chainSignal: component.chainSignal,
  });
  await Promise.all(config.listenOn.map((url) => component.serve(url, { nsRegistry, nseRegistry })));
}
