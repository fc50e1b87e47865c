/**
 * Registry `retry`: registry client calls are tried again until they succeed or the caller gives up (NSM
 * `registry/common/retry`).
 * @module
 */
import type {
  NetworkService,
  NetworkServiceEndpoint,
  NetworkServiceEndpointQuery,
  NetworkServiceEndpointResponse,
  NetworkServiceQuery,
  NetworkServiceResponse,
} from '../../api/gen/registry.js';
import { ConfigError } from '../../chain/errors.js';
import type { NseRegistryElement, NsRegistryElement } from '../../chain/registry.js';
import { registryRetry, type RetrySettings } from './retry.js';

export interface RegistryRetryOptions {
  /** Time limit of each try of Register or Unregister, in ms. Default: 15000. */
  readonly tryTimeoutMs?: number;
  /** Wait between tries, in ms (on `clockOf(ctx)`). Default: 200. */
  readonly intervalMs?: number;
  /** When it aborts, no further tries start and the last error is thrown. Default: none. */
  readonly chainSignal?: AbortSignal;
}

function settingsOf(options: RegistryRetryOptions): RetrySettings {
  const { tryTimeoutMs = 15_000, intervalMs = 200, chainSignal } = options;
  if (!Number.isFinite(tryTimeoutMs) || tryTimeoutMs <= 0)
    throw new ConfigError('registry-retry: tryTimeoutMs must be a finite number > 0');
  if (!Number.isFinite(intervalMs) || intervalMs < 0)
    throw new ConfigError('registry-retry: intervalMs must be a finite number ≥ 0');
  return { tryTimeoutMs, intervalMs, chainSignal };
}

/**
 * Register and Unregister run with a per-try timeout and are tried again `intervalMs` after any failure, until
 * one succeeds; when `ctx.signal` aborts, its reason is thrown as is (so a caller without a deadline retries
 * until it cancels). A Find is subscribed again after an error that comes before its first response (the
 * stream could not start); errors after that pass through. Each try sends a fresh copy of the input.
 * Reentrant: it calls `next` once per try.
 *
 * Where in the chain: in a registry client chain right after `begin`, before `heal` and `refresh`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/retry
 */
export function retryNseClient(options: RegistryRetryOptions = {}): NseRegistryElement {
  return registryRetry<NetworkServiceEndpoint, NetworkServiceEndpointQuery, NetworkServiceEndpointResponse>(
    settingsOf(options),
  );
}

/**
 * {@link retryNseClient} for the NS registry.
 *
 * Where in the chain: in an NS registry client chain right after `begin`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/registry/common/retry
 */
export function retryNsClient(options: RegistryRetryOptions = {}): NsRegistryElement {
  return registryRetry<NetworkService, NetworkServiceQuery, NetworkServiceResponse>(settingsOf(options));
}
