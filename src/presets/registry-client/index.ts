/**
 * Registry client presets: register and query through an nsmgr or a registry.
 * @module
 */
export { nseRegistryClient, nsRegistryClient, type RegistryClientOptions } from './registry-client.js';
