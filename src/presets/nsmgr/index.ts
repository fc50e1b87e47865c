/**
 * The nsmgr preset.
 * @module
 */
export { nsmgr, type Nsmgr, type NsmgrOptions } from './nsmgr.js';
export { nsmgrRegistries, type NsmgrRegistries, type NsmgrRegistryOptions } from './registry-chains.js';
