import { ConfigError } from '../../chain/errors.js';
import type { LivenessCheck } from './liveness.js';

export interface HealClientOptions {
  /** The client's lifetime: aborting it ends every watch and every heal in progress. Required. */
  readonly chainSignal: AbortSignal;
  /** Data-plane check; without one only the control plane is watched and every heal reselects. */
  readonly livenessCheck?: LivenessCheck;
  /** How often the liveness check runs while the connection is healthy. Default: 200 ms. */
  readonly livenessCheckIntervalMs?: number;
  /** How long one liveness check may take before it counts as dead. Default: 100 ms. */
  readonly livenessCheckTimeoutMs?: number;
}

/** The element-wide settings, validated. */
export interface HealSettings {
  readonly chainSignal: AbortSignal;
  readonly livenessCheck: LivenessCheck | undefined;
  readonly livenessCheckIntervalMs: number;
  readonly livenessCheckTimeoutMs: number;
  /** Pause between failed heal attempts. */
  readonly retryDelayMs: number;
}

/** Pause between failed heal attempts. Go retries at once; this avoids a hot loop against a dead next hop. */
const retryDelayMs = 100;

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`heal: ${name} must be a positive number of milliseconds, got ${String(value)}`);
  }
  return value;
}

/** Checks the options and fills in the defaults; throws ConfigError. */
export function settingsOf(options: HealClientOptions): HealSettings {
  if (!((options.chainSignal as unknown) instanceof AbortSignal)) {
    throw new ConfigError('heal: chainSignal must be an AbortSignal');
  }
  if (options.livenessCheck !== undefined && typeof options.livenessCheck !== 'function') {
    throw new ConfigError('heal: livenessCheck must be a function');
  }
  return {
    chainSignal: options.chainSignal,
    livenessCheck: options.livenessCheck,
    livenessCheckIntervalMs: positive('livenessCheckIntervalMs', options.livenessCheckIntervalMs ?? 200),
    livenessCheckTimeoutMs: positive('livenessCheckTimeoutMs', options.livenessCheckTimeoutMs ?? 100),
    retryDelayMs,
  };
}
