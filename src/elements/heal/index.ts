/**
 * `heal`: watch each connection's next hop and data plane, and re-request it when it breaks (NSM
 * `common/heal`).
 * @module
 */
export { healClient } from './heal-client.js';
export type { HealClientOptions } from './options.js';
export type { LivenessCheck } from './liveness.js';
