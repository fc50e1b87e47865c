/**
 * Registration of an endpoint or forwarder with its nsmgr, through the refreshing registry client, and
 * unregistration when the component stops.
 * @module
 */
import { NetworkService, NetworkServiceEndpoint } from '../api/gen/registry.js';
import { withCancel } from '../chain/cancel.js';
import { nseRegistryClient, nsRegistryClient } from '../presets/registry-client/index.js';
import type { Component } from './runtime/component.js';

/** How long unregistering may take while stopping. */
const UNREGISTER_TIMEOUT_MS = 5_000;

/**
 * Registers `entry` at `url` (trying again until it succeeds or the component stops) and keeps the
 * registration refreshed; with `unregisterOnStop`, unregisters it when the component stops.
 */
export async function registerEndpoint(
  component: Component,
  url: string,
  entry: Partial<NetworkServiceEndpoint>,
  unregisterOnStop: boolean,
): Promise<NetworkServiceEndpoint> {
  const { dialer, chainSignal, logger } = component;
  const client = nseRegistryClient({ url, dialer, chainSignal });
  const registered = await client.register(NetworkServiceEndpoint.fromPartial(entry), component.ctx);
  logger.log('info', `registered ${registered.name} at ${url}`, {
    services: registered.networkServiceNames,
    url: registered.url,
  });
  if (unregisterOnStop) {
    component.onStop(async () => {
      const scope = withCancel(component.background, UNREGISTER_TIMEOUT_MS);
      try {
        await client.unregister(registered, scope.ctx);
        logger.log('info', `unregistered ${registered.name}`);
      } finally {
        scope.cancel();
      }
    });
  }
  return registered;
}

/** Registers network services `{ name, payload }` at `url` (trying again until it succeeds or the stop). */
export async function registerServices(
  component: Component,
  url: string,
  names: readonly string[],
  payload: string,
): Promise<void> {
  const { dialer, chainSignal } = component;
  const client = nsRegistryClient({ url, dialer, chainSignal });
  for (const name of names) {
    await client.register(NetworkService.fromPartial({ name, payload }), component.ctx);
    component.logger.log('info', `registered network service ${name}`, { payload });
  }
}
