/**
 * The registry preset: an in-memory NS and NSE registry.
 * @module
 */
export { registry, type Registry, type RegistryOptions } from './registry.js';
